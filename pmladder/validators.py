"""
Text that people type and that other people read: names, titles, reasons.

A name with a control character, a terminal (ANSI) escape or a bidirectional override can
forge or garble what others see: an email subject split in two, a log line that rewrites
the terminal, a name that reads backwards. `single_line` refuses all of those in a one-line
value (names, titles, emails); `multi_line` allows line breaks and tabs in a longer text.
Both are Django validators, used on the model fields and called by the services and
importers that write without a form.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# Characters that change the direction of the text around them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
# Line and paragraph separators that some mail and log tools treat as line breaks.
SEPARATORS = frozenset("\u2028\u2029\u0085")


def _describe(char):
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name.title()})" if name else "")


@deconstructible
class PlainText:
    """Refuse control characters (other than `allowed`), escapes and direction overrides."""

    def __init__(self, allowed=""):
        self.allowed = allowed

    def __call__(self, value):
        for char in str(value):
            if char in self.allowed:
                continue
            if char in BIDI_CONTROLS or char in SEPARATORS or unicodedata.category(char) == "Cc":
                raise ValidationError(
                    "Remove the invisible control character %(char)s: "
                    "it would garble emails and other pages.",
                    code="control_character",
                    params={"char": _describe(char)},
                )

    def __eq__(self, other):
        return isinstance(other, PlainText) and self.allowed == other.allowed


single_line = PlainText()
multi_line = PlainText(allowed="\n\r\t")
