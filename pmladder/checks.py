"""Deploy checks (`manage.py check --deploy`) for PM Ladder's own settings."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

CONSOLE_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "pmladder.mail.ReadableConsoleBackend",
}


@register(Tags.security, deploy=True)
def email_is_not_printed(app_configs, **kwargs):
    """Emails printed to the console put live password-reset links in the logs."""
    mailers = getattr(settings, "MAILERS", {})
    printed = [alias for alias, mailer in mailers.items() if mailer["BACKEND"] in CONSOLE_BACKENDS]
    if settings.DEBUG or not printed:
        return []
    return [
        Warning(
            "Emails are printed to the console, so password-reset links end up in the logs.",
            hint="Set EMAIL_HOST (and the SMTP sign-in) to send them instead.",
            id="pmladder.W001",
        )
    ]
