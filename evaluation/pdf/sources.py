"""The source line under every table of both papers (“Kilde: …”), as seed 001
prints them.

The municipality's own figures come from this case system, nothing else (the
product does not read DREAM), and the source line says so. A benchmark's
line names its publisher and the latest download date of the figures shown.
"""

from __future__ import annotations

from collections.abc import Mapping

from evaluation.models import BenchmarkSource
from evaluation.pdf.formatting import da_date

# The publishers, as a Danish reader knows them.
BENCHMARK_NAMES_DA = {
    BenchmarkSource.JOBINDSATS: (
        "Jobindsats.dk (Udlændingeregisteret, CPR-registeret, CVR-registeret, e-indkomst)"
    ),
    BenchmarkSource.WELLBEING: "den nationale trivselsmåling i folkeskolen",
    BenchmarkSource.DANISH_ABSENCE: "Økonomi- og Indenrigsministeriets kommunale nøgletal",
}


def own_source(municipality: str) -> str:
    """“Demo Kommunes sagssystem for integrationsindsatsen”."""
    genitive = municipality if municipality.endswith("s") else f"{municipality}s"
    return f"{genitive} sagssystem for integrationsindsatsen"


def benchmark_source(source: str, downloaded_on: str | None) -> str:
    """“Jobindsats.dk (…), hentet 01-11-2026”; the date is the latest download
    date of the figures shown."""
    name = BENCHMARK_NAMES_DA[BenchmarkSource(source)]
    if not downloaded_on:
        return name
    return f"{name}, hentet {da_date(downloaded_on)}"


def monthly_sources(figures: Mapping) -> dict:
    """Every table of the monthly follow-up is counted in the case system."""
    return {"own": own_source(figures["municipality"])}


def _beside_own(own: str, downloaded_on: str | None) -> str:
    """A table of our own absence beside the national figures: both sources,
    the national one only when a national figure is shown."""
    if not downloaded_on:
        return own
    absence = benchmark_source(BenchmarkSource.DANISH_ABSENCE, downloaded_on)
    return f"{own} (kommunen); {absence} (landsgennemsnit)"


def review_sources(figures: Mapping) -> dict:
    own = own_source(figures["municipality"])
    return {
        "own": own,
        "employment": benchmark_source(
            BenchmarkSource.JOBINDSATS, figures.get("benchmark_employment_downloaded")
        ),
        "wellbeing": benchmark_source(
            BenchmarkSource.WELLBEING, figures.get("wellbeing_downloaded")
        ),
        "danish_absence": _beside_own(own, figures.get("danish_absence_downloaded")),
        "danish_absence_periods": _beside_own(
            own, figures.get("danish_absence_periods_downloaded")
        ),
    }
