"""Reading uploaded text files (ladder files, people files) safely."""


class TextFileError(ValueError):
    """A file that cannot be read as text; the message says why, for a person."""


def decode(content, *, limit, kind, hint=""):
    """The text of `content` (bytes or str): refused when larger than `limit` bytes, not
    UTF-8 (a byte-order mark is fine), empty or binary. `kind` names the file in
    messages ("ladder files"); `hint` is added to the encoding message."""
    size = len(content.encode() if isinstance(content, str) else content)
    if size > limit:
        raise TextFileError(f"the file is {size:,} bytes; {kind} may be at most {limit:,} bytes")
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise TextFileError(
                f"the file is not UTF-8 text (byte {error.start} cannot be read){hint}"
            ) from None
    content = content.removeprefix("\ufeff")
    if not content.strip():
        raise TextFileError("the file is empty")
    if "\x00" in content:
        raise TextFileError("the file contains binary data; it is not a text file")
    return content
