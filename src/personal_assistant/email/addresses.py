"""What an email may contain, checked before anything is written."""

from __future__ import annotations

import re

from personal_assistant.errors import BadInput

MAX_RECIPIENTS = 50
MAX_SUBJECT = 998  # RFC 5322's limit for one header line

# A plain ASCII address: the dot-atom local part and a host name. Display names, quoted
# local parts and international addresses are refused rather than half-supported.
ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)


def checked_recipients(to: list[str]) -> list[str]:
    """The recipients, stripped and without repeats, or BadInput naming the wrong one."""
    recipients: list[str] = []
    for raw in to:
        address = raw.strip()
        if len(address) > 254 or not ADDRESS.fullmatch(address):
            raise BadInput(
                f"invalid recipient {raw!r}: expected a plain address such as name@example.com"
            )
        if address.lower() not in (r.lower() for r in recipients):
            recipients.append(address)
    if not recipients:
        raise BadInput("no recipient: give at least one address such as name@example.com")
    if len(recipients) > MAX_RECIPIENTS:
        raise BadInput(f"{len(recipients)} recipients: at most {MAX_RECIPIENTS} are accepted")
    return recipients


def checked_subject(subject: str) -> str:
    text = subject.strip()
    if not text or "\r" in text or "\n" in text or len(text) > MAX_SUBJECT:
        raise BadInput(
            f"the subject must be one non-empty line of at most {MAX_SUBJECT} characters"
        )
    return text


def checked_body(text: str) -> str:
    if not text.strip():
        raise BadInput("the message text is empty: give the body of the email")
    return text
