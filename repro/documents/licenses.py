"""Licence identifiers: the Hugging Face Hub's licence keys and their SPDX spelling.

``huggingface_hub`` does not ship the Hub's list of licence keys (its docs link to
https://huggingface.co/docs/hub/repositories-licenses), so repro keeps a copy here: a model
card's ``license`` must be one of them, and a record's SPDX id (``Apache-2.0``, ``CC0-1.0``)
is mapped to the Hub's key (``apache-2.0``, ``cc0-1.0``). Pure data and lookups.
"""

from __future__ import annotations

# Hub key -> SPDX identifier (None: the Hub's own key has no SPDX id).
HUB_LICENSES: dict[str, str | None] = {
    "apache-2.0": "Apache-2.0",
    "mit": "MIT",
    "openrail": None,
    "bigscience-openrail-m": None,
    "creativeml-openrail-m": None,
    "bigscience-bloom-rail-1.0": None,
    "bigcode-openrail-m": None,
    "afl-3.0": "AFL-3.0",
    "artistic-2.0": "Artistic-2.0",
    "bsl-1.0": "BSL-1.0",
    "bsd": None,
    "bsd-2-clause": "BSD-2-Clause",
    "bsd-3-clause": "BSD-3-Clause",
    "bsd-3-clause-clear": "BSD-3-Clause-Clear",
    "c-uda": "C-UDA-1.0",
    "cc": None,
    "cc0-1.0": "CC0-1.0",
    "cc-by-2.0": "CC-BY-2.0",
    "cc-by-2.5": "CC-BY-2.5",
    "cc-by-3.0": "CC-BY-3.0",
    "cc-by-4.0": "CC-BY-4.0",
    "cc-by-sa-3.0": "CC-BY-SA-3.0",
    "cc-by-sa-4.0": "CC-BY-SA-4.0",
    "cc-by-nc-2.0": "CC-BY-NC-2.0",
    "cc-by-nc-3.0": "CC-BY-NC-3.0",
    "cc-by-nc-4.0": "CC-BY-NC-4.0",
    "cc-by-nd-4.0": "CC-BY-ND-4.0",
    "cc-by-nc-nd-3.0": "CC-BY-NC-ND-3.0",
    "cc-by-nc-nd-4.0": "CC-BY-NC-ND-4.0",
    "cc-by-nc-sa-2.0": "CC-BY-NC-SA-2.0",
    "cc-by-nc-sa-3.0": "CC-BY-NC-SA-3.0",
    "cc-by-nc-sa-4.0": "CC-BY-NC-SA-4.0",
    "cdla-sharing-1.0": "CDLA-Sharing-1.0",
    "cdla-permissive-1.0": "CDLA-Permissive-1.0",
    "cdla-permissive-2.0": "CDLA-Permissive-2.0",
    "wtfpl": "WTFPL",
    "ecl-2.0": "ECL-2.0",
    "epl-1.0": "EPL-1.0",
    "epl-2.0": "EPL-2.0",
    "etalab-2.0": "etalab-2.0",
    "eupl-1.1": "EUPL-1.1",
    "eupl-1.2": "EUPL-1.2",
    "agpl-3.0": "AGPL-3.0-only",
    "gfdl": "GFDL-1.3-only",
    "gpl": None,
    "gpl-2.0": "GPL-2.0-only",
    "gpl-3.0": "GPL-3.0-only",
    "lgpl": None,
    "lgpl-2.1": "LGPL-2.1-only",
    "lgpl-3.0": "LGPL-3.0-only",
    "isc": "ISC",
    "h-research": None,
    "intel-research": None,
    "lppl-1.3c": "LPPL-1.3c",
    "ms-pl": "MS-PL",
    "apple-ascl": None,
    "apple-amlr": None,
    "mpl-2.0": "MPL-2.0",
    "odc-by": "ODC-By-1.0",
    "odbl": "ODbL-1.0",
    "openmdw-1.0": None,
    "openrail++": None,
    "osl-3.0": "OSL-3.0",
    "postgresql": "PostgreSQL",
    "ofl-1.1": "OFL-1.1",
    "ncsa": "NCSA",
    "unlicense": "Unlicense",
    "zlib": "Zlib",
    "pddl": "PDDL-1.0",
    "lgpl-lr": None,
    "deepfloyd-if-license": None,
    "fair-noncommercial-research-license": None,
    "llama2": None,
    "llama3": None,
    "llama3.1": None,
    "llama3.2": None,
    "llama3.3": None,
    "llama4": None,
    "grok2-community": None,
    "gemma": None,
    "unknown": None,
    "other": None,
}
# SPDX spellings that name a Hub key other than by case (``GPL-3.0-or-later`` is ``gpl-3.0``).
_SPDX_ALIASES = {
    "gpl-3.0-only": "gpl-3.0",
    "gpl-3.0-or-later": "gpl-3.0",
    "gpl-2.0-only": "gpl-2.0",
    "gpl-2.0-or-later": "gpl-2.0",
    "lgpl-2.1-only": "lgpl-2.1",
    "lgpl-2.1-or-later": "lgpl-2.1",
    "lgpl-3.0-only": "lgpl-3.0",
    "lgpl-3.0-or-later": "lgpl-3.0",
    "agpl-3.0-only": "agpl-3.0",
    "agpl-3.0-or-later": "agpl-3.0",
    "gfdl-1.3-only": "gfdl",
    "gfdl-1.3-or-later": "gfdl",
    "odc-by-1.0": "odc-by",
    "odbl-1.0": "odbl",
    "pddl-1.0": "pddl",
    "c-uda-1.0": "c-uda",
}
_BY_SPDX = {spdx.lower(): key for key, spdx in HUB_LICENSES.items() if spdx}


def hub_license(value: str | None) -> str | None:
    """The Hub's licence key for a licence id (any case, SPDX or Hub spelling); None when the
    Hub has no key for it (or none was given). 'other' and 'unknown' are not accepted: they
    say nothing a reader can check."""
    if not value:
        return None
    key = value.strip().lower()
    key = _SPDX_ALIASES.get(key, _BY_SPDX.get(key, key))
    return key if key in HUB_LICENSES and key not in ("other", "unknown") else None


def spdx_id(value: str | None) -> str | None:
    """The SPDX identifier of a licence id (``mit`` -> ``MIT``); None when it has none."""
    key = hub_license(value)
    if key is not None:
        return HUB_LICENSES[key]
    return None
