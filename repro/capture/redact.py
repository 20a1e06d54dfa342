"""Remove credentials from URLs, command lines and environment values before they are recorded.

Pure string work (no torch, no I/O), so every part of repro may import it cheaply. Whatever is
taken out is replaced by :data:`MASK`. What counts as a secret:

- the value of a setting whose *name* says so (:func:`is_secret_name`): ``--password X``,
  ``--api-key=X``, ``--password:X``, ``-p X`` / ``-pX`` (the MySQL/sshpass convention),
  ``db.password=X`` (Hydra), ``"token": "X"`` or ``{secret: X}`` inside an argument (JSON or
  YAML given on the command line), ``password=X`` inside any text, ``PGPASSWORD`` in the
  environment;
- the password (or the token used as user name) of a URL, however unusual its characters
  (``#``, ``/``, ``?``, ``@``), and secret query or fragment values (``?token=X``);
- the part after ``:`` of ``--user name:X`` (curl's form);
- well-known token shapes (GitHub, Hugging Face, AWS, OpenAI, Slack, GitLab, JWT) anywhere.

The value after a secret flag is masked whatever it looks like, even when it starts with
``--``: a program may well take it as the value, and a lost flag name is the cheaper mistake.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MASK = "***"

# Words that, as one part of a name (``GITHUB_TOKEN``, ``--api-key``, ``db.password``), mark
# its value as secret. Parts are whole words: ``max_tokens`` and ``tokenizer`` do not match.
_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "passcode",
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
# Short words that are secret only as the last part (``--pass``, ``DB_PASS``, ``--redis-pw``):
# earlier (``--pass-rate``, ``--pw-policy``) they usually mean something else.
_SECRET_LAST_WORDS = frozenset({"pass", "pw", "pswd", "pword"})
# ``<word>_key`` is a secret (``wandb_key``, ``api-key``, ``openai.key``) unless the word makes it
# a lookup key of data: these prefixes do.
_DATA_KEY_PREFIXES = frozenset(
    {
        "sort",
        "metric",
        "monitor",
        "group",
        "partition",
        "primary",
        "foreign",
        "join",
        "lookup",
        "index",
        "cache",
        "dict",
        "hash",
        "column",
        "field",
        "order",
        "shard",
        "batch",
        "split",
        "label",
        "target",
        "feature",
        "input",
        "output",
        "map",
        "dataset",
        "data",
        "value",
        "query",
        "attention",
        "kv",
        "qkv",
        "seed",
        "row",
        "unique",
    }
)
# A trailing part that says the value is where a secret lives, not the secret itself.
_NOT_A_SECRET_SUFFIXES = frozenset(
    {"file", "path", "dir", "env", "var", "len", "length", "type", "name", "id", "size", "dim"}
)

_USER_IS_TOKEN_SCHEMES = frozenset({"http", "https", "ftp", "ftps", "ws", "wss"})
# Parts ending in these (``pgpassword``, ``dbpass``, ``authtoken``, ``dbcredentials``) are
# secret too.
_SECRET_ENDINGS = tuple(sorted(_SECRET_WORDS | _SECRET_LAST_WORDS))

_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>`]+")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_HOST = re.compile(r"^(?P<name>[A-Za-z0-9._~%!$&'()*+,;=\-\[\]]+)(?P<port>:\d+)?(?=[/?#]|$)")
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
# ``name<sep>value`` inside free text: ``password=x``, ``"token": "x"``, ``{secret: x}``.
_PAIR = re.compile(
    r"""(?<![A-Za-z0-9_])(?P<quote>["']?)(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)(?P=quote)"""
    r"""(?P<sep>\s*[:=]\s*)"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"?|'[^']*'?|\{[^{}]*\}?|\[[^\[\]]*\]?|[^\s,}\]]+)"""
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_PARTS = re.compile(r"[^A-Za-z0-9]+")
_FLAG = re.compile(r"^-{1,2}[A-Za-z][A-Za-z0-9_.\-]*$")
_FLAG_WITH_VALUE = re.compile(r"^(-{1,2}[A-Za-z][A-Za-z0-9_.\-]*)([=:])(.*)$", re.DOTALL)
_ASSIGNMENT = re.compile(r"^([+~]{0,2}[A-Za-z_][A-Za-z0-9_.\-]*)=(.*)$", re.DOTALL)
# Flags whose next argument is ``user:password`` (curl, wget, httpie).
_USER_FLAGS = frozenset({"-u", "--user", "--proxy-user"})


def _name_parts(name: str) -> list[str]:
    return [p.lower() for p in _PARTS.split(_CAMEL.sub("_", name)) if p]


def is_secret_name(name: str) -> bool:
    """True when a variable, flag or parameter name says its value is a credential.

    ``GITHUB_TOKEN``, ``--api-key``, ``--wandb-key``, ``--pass``, ``db.password``, ``apiKey``
    and ``X-Amz-Signature`` are; ``max_tokens``, ``tokenizer``, ``key_dim``, ``--sort-key``
    and ``--password-file`` are not.
    """
    parts = _name_parts(name)
    if not parts:
        return False
    if parts[-1] in _NOT_A_SECRET_SUFFIXES and len(parts) > 1:
        return False
    if parts == ["key"] or "".join(parts) in _SECRET_WORDS:
        return True
    if parts[-1] in _SECRET_LAST_WORDS:
        return True
    for i, part in enumerate(parts):
        if part in _SECRET_WORDS or part.endswith(_SECRET_ENDINGS):
            return True
        if part in ("key", "keys") and i > 0 and parts[i - 1] not in _DATA_KEY_PREFIXES:
            return True
        stem = part.removesuffix("keys").removesuffix("key")
        if stem != part and stem and stem not in _DATA_KEY_PREFIXES:  # ``dbkey``, ``apikeys``
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


def _userinfo_end(rest: str) -> int:
    """Where the user info of ``rest`` (a URL after ``scheme://``) ends (the index of its
    ``@``), or -1. A password may hold ``#``, ``?``, ``/`` or ``@`` unencoded, so the ``@``
    that counts is one followed by a host (preferably one that looks like a host name: a dot,
    a port, ``localhost``, an IP literal), not merely the first or the last."""
    slash = rest.find("/")
    head = rest if slash < 0 else rest[:slash]
    if "@" not in head:
        _user, colon, tail = head.partition(":")
        if not colon or not tail or tail.isdigit():
            return -1  # a plain host, or host:port (an "@" later is in the path)
    candidates = []
    for match in re.finditer("@", rest):
        host = _HOST.match(rest[match.end() :])
        if host:
            candidates.append((match.start(), host.group("name"), host.group("port")))
    if not candidates:
        return head.rfind("@")
    for at, name, port in candidates:
        if "." in name or port or name.lower() == "localhost" or name.startswith("["):
            return at
    return candidates[0][0]


def redact_url(url: str, *, drop_userinfo: bool = False) -> str:
    """Mask the password (or token user name) and secret query/fragment values of a URL.

    ``https://user:pw@host/x?token=z&page=2`` -> ``https://***@host/x?token=***&page=2``.
    With ``drop_userinfo`` the credentials are removed instead of masked (for git remotes and
    tracking URIs). A user name without a password over ssh/git (``ssh://git@host/repo``) is
    kept: it names an account, not a secret. In strings that are not URLs only well-known
    token shapes and secret ``name=value`` pairs are masked.
    """
    scheme_match = _SCHEME.match(url)
    if not scheme_match:
        return _redact_free(url)
    prefix = scheme_match.group(0)
    scheme = prefix[:-3].lower()
    rest = url[len(prefix) :]
    end = _userinfo_end(rest)
    userinfo, remainder = ("", rest) if end < 0 else (rest[:end], rest[end + 1 :])
    if userinfo:
        user, colon, _password = userinfo.partition(":")
        # A bare user name over HTTP(S) is often a token (https://<token>@github.com/...); over
        # ssh/git (ssh://git@host/repo) it names an account and is kept.
        risky = bool(colon) or scheme.split("+")[-1] in _USER_IS_TOKEN_SCHEMES
        if drop_userinfo:
            authority = "" if risky or not user else f"{user}@"
        else:
            authority = f"{MASK}@" if risky else f"{userinfo}@"
    else:
        authority = ""
    body, hash_, fragment = remainder.partition("#")
    body, question, query = body.partition("?")
    cleaned = _redact_pairs(query)
    _, amp, others = fragment.partition("&")
    if hash_ and cleaned.endswith(f"={MASK}"):
        # An unencoded "#" inside the secret value: what follows up to "&" is the secret too.
        fragment = MASK + amp + others
    remainder = body + question + cleaned + hash_ + _redact_pairs(fragment)
    return _TOKEN_SHAPES.sub(MASK, prefix + authority + remainder)


def _mask_pair(match: re.Match[str]) -> str:
    value = match.group("value")
    head = match.group(0)[: match.start("value") - match.start()]
    if not is_secret_name(match.group("key")):
        if value[:1] in ("{", "["):  # a nested object: its own pairs may be secret
            return head + _PAIR.sub(_mask_pair, value)
        return match.group(0)
    quote = value[0] if value[:1] in ("'", '"') else ""
    return head + f"{quote}{MASK}{quote}"


def _redact_free(text: str) -> str:
    """Secret ``name=value`` / ``"name": "value"`` pairs and token shapes in text."""
    return _TOKEN_SHAPES.sub(MASK, _PAIR.sub(_mask_pair, text))


def redact_text(text: str) -> str:
    """Mask credentials in every URL inside free text, secret ``name=value`` pairs (also in
    JSON or YAML written inline) and well-known token shapes anywhere."""
    return _redact_free(_URL.sub(lambda m: redact_url(m.group(0)), text))


def redact_value(name: str, value: str) -> str:
    """The value of a named setting as it may be recorded: masked whole when the name says it
    is a secret, otherwise with credentials inside it masked (:func:`redact_text`)."""
    if is_secret_name(name):
        return MASK if value else value
    return redact_text(value)


def _user_password(value: str) -> str:
    user, colon, _ = value.partition(":")
    return f"{user}:{MASK}" if colon else redact_text(value)


def redact_argv(argv: Sequence[str]) -> list[str]:
    """A command line with secrets masked (see the module docstring for the forms).

    Everything else is kept as given.
    """
    out: list[str] = []
    pending: str | None = None  # "mask": the next argument is a secret; "user": user:password
    for raw in argv:
        arg = str(raw)
        if pending == "mask":
            pending = None
            out.append(MASK if arg else arg)
            continue
        if pending == "user":
            pending = None
            out.append(_user_password(arg))
            continue
        if _FLAG.match(arg):
            if is_secret_name(arg) or arg == "-p":
                pending = "mask"
            elif arg in _USER_FLAGS:
                pending = "user"
            elif arg.startswith("-p") and not arg.startswith("--"):
                arg = f"-p{MASK}"  # mysql -pPASSWORD
            out.append(arg)
            continue
        if arg.startswith("-p") and not arg.startswith("--"):
            out.append(f"-p{MASK}")  # mysql -pPASS#WORD
            continue
        flagged = _FLAG_WITH_VALUE.match(arg)
        if flagged:
            flag, sep, value = flagged.groups()
            if flag in _USER_FLAGS:
                out.append(f"{flag}{sep}{_user_password(value)}")
            else:
                out.append(f"{flag}{sep}{redact_value(flag, value)}")
            continue
        assignment = _ASSIGNMENT.match(arg)
        if assignment:
            key, value = assignment.groups()
            out.append(f"{key}={redact_value(key, value)}")
            continue
        # A whole argument that is a URL is one, quotes and all.
        out.append(redact_text(redact_url(arg)) if _SCHEME.match(arg) else redact_text(arg))
    return out
