"""Remove credentials from URLs, command lines and environment values before they are recorded.

Pure string work (no torch, no I/O), so every part of repro may import it cheaply. Whatever is
taken out is replaced by :data:`MASK`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import SplitResult, urlsplit, urlunsplit

MASK = "***"

# Words that, as one part of a name (``GITHUB_TOKEN``, ``--api-key``, ``db.password``), mark
# its value as secret. Parts are whole words: ``max_tokens`` and ``tokenizer`` do not match.
_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "credential",
        "credentials",
        "creds",
        "apikey",
        "auth",
        "authorization",
        "cookie",
        "sig",
        "signature",
        "privatekey",
        "accesskey",
        "secretkey",
        "sas",
        "dsn",
        "jwt",
        "bearer",
        "xamzsecuritytoken",
        "xamzcredential",
        "xamzsignature",
    }
)
# Words that make ``key`` a secret when they come right before it (``api_key``, ``access-key``).
_KEY_PREFIXES = frozenset(
    {"api", "access", "secret", "private", "account", "client", "signing", "master", "encryption"}
)
# A trailing part that says the value is where a secret lives, not the secret itself.
_NOT_A_SECRET_SUFFIXES = frozenset({"file", "path", "dir", "env", "var", "len", "length", "type"})

_USER_IS_TOKEN_SCHEMES = frozenset({"http", "https", "ftp", "ftps", "ws", "wss"})
# Parts ending in these (``pgpassword``, ``authtoken``, ``clientsecret``) are secret too.
_SECRET_ENDINGS = ("password", "passwd", "secret", "token", "apikey", "accesskey", "secretkey")

_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>`]+")
# Well-known token shapes, masked wherever they appear (defence in depth).
_TOKEN_SHAPES = re.compile(
    r"\b(?:"
    r"gh[pousr]_[A-Za-z0-9]{20,}"  # GitHub
    r"|github_pat_[A-Za-z0-9_]{20,}"
    r"|hf_[A-Za-z0-9]{20,}"  # Hugging Face
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}"  # AWS access key id
    r"|sk-[A-Za-z0-9_\-]{20,}"  # OpenAI-style
    r"|xox[abposr]-[A-Za-z0-9\-]{10,}"  # Slack
    r"|glpat-[A-Za-z0-9_\-]{20,}"  # GitLab
    r"|eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}"  # JWT
    r")"
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_PARTS = re.compile(r"[^A-Za-z0-9]+")
_SECRET_FLAG = re.compile(r"^--?[A-Za-z][A-Za-z0-9_.\-]*$")
_ASSIGNMENT = re.compile(r"^([+~]{0,2}[A-Za-z_][A-Za-z0-9_.\-]*)=(.*)$", re.DOTALL)


def _name_parts(name: str) -> list[str]:
    return [p.lower() for p in _PARTS.split(_CAMEL.sub("_", name)) if p]


def is_secret_name(name: str) -> bool:
    """True when a variable, flag or parameter name says its value is a credential.

    ``GITHUB_TOKEN``, ``--api-key``, ``db.password``, ``apiKey`` and ``X-Amz-Signature`` are;
    ``max_tokens``, ``tokenizer``, ``key_dim`` and ``--password-file`` are not.
    """
    parts = _name_parts(name)
    if not parts:
        return False
    if parts[-1] in _NOT_A_SECRET_SUFFIXES and len(parts) > 1:
        return False
    if parts == ["key"] or "".join(parts) in _SECRET_WORDS:
        return True
    for i, part in enumerate(parts):
        if part in _SECRET_WORDS or part.endswith(_SECRET_ENDINGS):
            return True
        if part == "key" and i > 0 and parts[i - 1] in _KEY_PREFIXES:
            return True
    return False


def _redact_pairs(text: str) -> str:
    """Mask values of secret-named ``k=v`` pairs in a query string or fragment."""
    if not text:
        return text
    out = []
    for pair in text.split("&"):
        name, sep, value = pair.partition("=")
        out.append(f"{name}={MASK}" if sep and value and is_secret_name(name) else pair)
    return "&".join(out)


def _redact_netloc(parts: SplitResult, drop_userinfo: bool) -> str:
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at:
        return parts.netloc
    user, colon, _password = userinfo.partition(":")
    # A bare user name over HTTP(S) is often a token (https://<token>@github.com/...); over
    # ssh/git (ssh://git@host/repo) it names an account and is kept.
    risky = bool(colon) or parts.scheme.lower() in _USER_IS_TOKEN_SCHEMES
    if drop_userinfo:
        return hostport if risky or not user else f"{user}@{hostport}"
    return f"{MASK}@{hostport}" if risky else parts.netloc


def redact_url(url: str, *, drop_userinfo: bool = False) -> str:
    """Mask the password (or token user name) and secret query/fragment values of a URL.

    ``https://user:pw@host/x?token=z&page=2`` -> ``https://***@host/x?token=***&page=2``.
    With ``drop_userinfo`` the credentials are removed instead of masked (for git remotes).
    A user name without a password over ssh/git (``ssh://git@host/repo``) is kept: it names
    an account, not a secret. In strings that are not URLs only well-known token shapes are
    masked.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return _TOKEN_SHAPES.sub(MASK, url)
    if not parts.scheme or not parts.netloc:
        return _TOKEN_SHAPES.sub(MASK, url)
    netloc = _redact_netloc(parts, drop_userinfo)
    cleaned = urlunsplit(
        (
            parts.scheme,
            netloc,
            parts.path,
            _redact_pairs(parts.query),
            _redact_pairs(parts.fragment),
        )
    )
    return _TOKEN_SHAPES.sub(MASK, cleaned)


def redact_text(text: str) -> str:
    """Mask credentials in every URL inside free text, and well-known token shapes anywhere."""
    return _TOKEN_SHAPES.sub(MASK, _URL.sub(lambda m: redact_url(m.group(0)), text))


def redact_value(name: str, value: str) -> str:
    """The value of a named setting as it may be recorded: masked whole when the name says it
    is a secret, otherwise with credentials inside any URL in it masked."""
    if is_secret_name(name):
        return MASK if value else value
    return redact_text(value)


def redact_argv(argv: Sequence[str]) -> list[str]:
    """A command line with secrets masked.

    Masks the value of secret-named flags in both ``--token X`` and ``--token=X`` forms,
    ``KEY=VALUE`` arguments whose key looks secret (``db.password=x``, Hydra-style), credentials
    in URLs anywhere, and well-known token shapes. Everything else is kept as given.
    """
    out: list[str] = []
    mask_next = False
    for raw in argv:
        arg = str(raw)
        if mask_next:
            mask_next = False
            # Mask whatever follows unless it is plainly the next long flag: a secret may
            # itself start with "-".
            if not (arg.startswith("--") and _SECRET_FLAG.match(arg)):
                out.append(MASK)
                continue
        if arg.startswith("-") and "=" in arg:
            flag, _, value = arg.partition("=")
            if _SECRET_FLAG.match(flag):
                out.append(f"{flag}={redact_value(flag, value)}")
                continue
        if _SECRET_FLAG.match(arg) and is_secret_name(arg):
            out.append(arg)
            mask_next = True
            continue
        assignment = _ASSIGNMENT.match(arg)
        if assignment and not arg.startswith("-"):
            key, value = assignment.groups()
            out.append(f"{key}={redact_value(key, value)}")
            continue
        out.append(redact_text(arg))
    return out
