"""Energy and CO2-equivalent of a run through codecarbon's offline tracker, when it can be had.

Measured only when the optional ``emissions`` extra (codecarbon) is installed and a country
is configured: ``track(..., country="DEU")`` or codecarbon's own configuration
(``CODECARBON_COUNTRY_ISO_CODE``, or ``country_iso_code`` in a ``.codecarbon.config``). The
offline tracker never touches the network; it measures this process (``tracking_mode
"process"``) and writes no file. Otherwise the record says it was not measured and why:
nothing is estimated on the user's behalf.

codecarbon takes about a second and a half to detect the hardware, so the tracker starts in a
background thread and the training loop does not wait for it.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from typing import Any

from repro.record import Emissions

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'repro[emissions]'"
START_TIMEOUT_S = 60.0


def _configured_country() -> str | None:
    from codecarbon.core.config import get_hierarchical_config

    value = get_hierarchical_config().get("country_iso_code")
    return str(value).strip().upper() if value else None


class EmissionsMeter:
    """Starts codecarbon's offline tracker for one run (see the module docstring)."""

    def __init__(self, country: str | None = None) -> None:
        self.country = country.strip().upper() if country else None
        self._tracker: Any = None
        self._version: str | None = None
        self._reason: str | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if importlib.util.find_spec("codecarbon") is None:
            self._reason = f"codecarbon is not installed ({INSTALL_HINT})"
            return
        self._thread = threading.Thread(target=self._start, name="repro-emissions", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        try:
            import codecarbon
            from codecarbon import OfflineEmissionsTracker

            # after the import, which sets INFO: its notices are not the training's business
            logging.getLogger("codecarbon").setLevel(logging.ERROR)

            self._version = str(codecarbon.__version__)
            country = self.country or _configured_country()
            if not country:
                self._reason = (
                    "no country configured for codecarbon's offline tracker: pass "
                    "track(..., country='<ISO 3166-1 alpha-3>') or set "
                    "CODECARBON_COUNTRY_ISO_CODE"
                )
                return
            self.country = country
            tracker = OfflineEmissionsTracker(
                country_iso_code=country,
                output_methods=[],  # no emissions.csv, nothing sent anywhere
                log_level="error",
                allow_multiple_runs=True,
                tracking_mode="process",
                project_name="repro",
            )
            tracker.start()
            self._tracker = tracker
        except Exception as exc:  # measuring must never fail the run
            self._reason = f"codecarbon could not start ({type(exc).__name__}: {exc})"
            log.debug("emissions: %s", self._reason)

    def stop(self) -> Emissions:
        """Stop measuring; the run's energy and emissions, or why there are none."""
        if self._thread is not None:
            self._thread.join(START_TIMEOUT_S)
        tool = f"codecarbon {self._version}" if self._version else None
        if self._tracker is None:
            reason = self._reason or "codecarbon did not start in time"
            return Emissions(measured=False, reason=reason, tool=tool)
        try:
            self._tracker.stop()
            data = self._tracker.final_emissions_data
        except Exception as exc:
            reason = f"codecarbon failed to measure ({type(exc).__name__}: {exc})"
            return Emissions(measured=False, reason=reason, tool=tool)
        return Emissions(
            measured=True,
            energy_kwh=max(0.0, float(data.energy_consumed)),
            co2_eq_kg=max(0.0, float(data.emissions)),
            country=self.country,
            region=data.region or None,
            tool=f"{tool} (offline, tracking_mode=process)",
        )
