"""The claims the test provider puts in ID tokens and userinfo: the user's email, and
whether it is verified (it is not for members of the group `unverified`). Members of the
group `userinfo_only` get their email from the userinfo endpoint only, as some providers
do."""

from oauth2_provider.oauth2_validators import OAuth2Validator

UNVERIFIED_GROUP = "unverified"
USERINFO_ONLY_GROUP = "userinfo_only"


class EmailClaims(OAuth2Validator):
    def get_additional_claims(self, request):
        user = request.user
        in_id_token = request.grant_type is not None  # the token endpoint, not userinfo
        if in_id_token and user.groups.filter(name=USERINFO_ONLY_GROUP).exists():
            return {"name": user.get_full_name()}
        return {
            "email": user.email,
            "email_verified": not user.groups.filter(name=UNVERIFIED_GROUP).exists(),
            "name": user.get_full_name(),
        }
