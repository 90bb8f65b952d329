"""
The OpenID Connect client of each provider in SSO_PROVIDERS (Authlib). Authlib reads the
provider's discovery document, checks the state, the nonce and the ID token's signature
and claims, and sends PKCE. Clients are kept per process, so the discovery document and
the signing keys are fetched once, and made again if the settings change.
"""

from authlib.integrations.django_client import OAuth
from django.conf import settings

SCOPE = "openid email profile"
# Seconds to wait for the provider (discovery, keys, token, userinfo).
TIMEOUT = 10

_clients = {}


def client_for(name):
    """The Authlib client of provider `name`, or None if no such provider is configured."""
    provider = settings.SSO_PROVIDERS.get(name)
    if provider is None:
        return None
    key = (name, provider["issuer"], provider["client_id"], provider["client_secret"])
    client = _clients.get(key)
    if client is None:
        registry = OAuth()
        client = registry.register(
            name=name,
            client_id=provider["client_id"],
            client_secret=provider["client_secret"],
            server_metadata_url=f"{provider['issuer']}/.well-known/openid-configuration",
            client_kwargs={
                "scope": SCOPE,
                "code_challenge_method": "S256",
                "default_timeout": TIMEOUT,
            },
        )
        _clients[key] = client
    return client
