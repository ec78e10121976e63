"""AWS CDK app of the SAS platform: one stack per territory (`python -m infra.app --territory <code>`)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
