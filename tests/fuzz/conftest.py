"""Hypothesis budgets for the fuzz suites.

``fuzz-default`` keeps each suite to a modest number of examples so the folder is part of ``make test``;
``HYPOTHESIS_PROFILE=fuzz`` (``make fuzz``) runs 20,000 examples per suite. The suites apply the chosen
profile to themselves (``mutation.FUZZ``) rather than changing hypothesis' global default, so loading this
folder never alters the budgets of the other test folders in the same run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the suites import tests.fuzz.mutation (shared strategies)
    sys.path.insert(0, str(ROOT))

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture]  # fmt: skip
settings.register_profile("fuzz-default", max_examples=60, deadline=None, suppress_health_check=_SLOW_OK)
settings.register_profile("fuzz", max_examples=20_000, deadline=None, suppress_health_check=_SLOW_OK,
                          print_blob=True)  # fmt: skip
if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz":
    settings.load_profile("fuzz")
