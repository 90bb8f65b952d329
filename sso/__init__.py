"""Single sign-on with OpenID Connect: providers from settings (`sso.config`), the sign-in
flow (`sso.views`), matching an identity to its person (`sso.services`) and the rule for
password sign-in (`sso.rules`)."""
