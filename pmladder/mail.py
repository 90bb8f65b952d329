"""Development email: printed to the console as written, so links can be copied."""

from django.core.mail.backends.console import EmailBackend as ConsoleEmailBackend


class ReadableConsoleBackend(ConsoleEmailBackend):
    """Like Django's console backend, but prints the plain text body undecoded: the real
    message may be quoted-printable, whose soft line breaks cut long links in two."""

    def write_message(self, message):
        self.stream.write(
            f"From: {message.from_email}\nTo: {', '.join(message.to)}\n"
            f"Subject: {message.subject}\n\n{message.body}\n{'-' * 79}\n"
        )
