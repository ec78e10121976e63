"""The CDK app: one territory's stack per synthesis.

    python -m infra.app --territory <code> [--outdir cdk.out]
    cdk synth -c territory=<code>                  (cdk.json runs `uv run python -m infra.app`)

Reads `infra/territories/<code>.json`. Synthesises without AWS credentials: the stack is environment-
agnostic unless CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION are set (the CDK CLI sets them from a profile).
cdk-nag's AwsSolutions pack validates every synthesis; an unacknowledged finding fails it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from infra import REPO_ROOT
from sas_common.territory import (
    TERRITORY_CODE_PATTERN,
    TerritoryConfig,
    TerritoryConfigError,
    load_territory,
    territory_path,
)

# The CDK (and its JSII kernel) is imported where it is used, so that a wrong territory on the command
# line fails in a fraction of a second.
if TYPE_CHECKING:
    from aws_cdk import App, Environment

    from infra.stack import TerritoryStack

TERRITORY_CONTEXT_KEY = "territory"
CDK_JSON = REPO_ROOT / "cdk.json"
MISSING_TERRITORY = (
    "no territory given: pass --territory <code> (python -m infra.app) or -c territory=<code> (cdk synth);"
    " <code> names a file infra/territories/<code>.json"
)


def default_context() -> dict[str, Any]:
    """The context of cdk.json, so that `python -m infra.app` and the tests synthesise what `cdk` does."""
    try:
        context: dict[str, Any] = json.loads(CDK_JSON.read_text(encoding="utf-8")).get("context", {})
    except FileNotFoundError:
        return {}
    return context


def stack_environment() -> Environment | None:
    from aws_cdk import Environment

    account, region = os.environ.get("CDK_DEFAULT_ACCOUNT"), os.environ.get("CDK_DEFAULT_REGION")
    if not account and not region:
        return None  # environment-agnostic: synthesises anywhere, deploys to the CLI's account and region
    return Environment(account=account, region=region)


def new_app(outdir: str | None = None, context: dict[str, Any] | None = None) -> App:
    """An App carrying cdk.json's context (overridden by `context`, then by the CDK CLI's) and cdk-nag."""
    from aws_cdk import App, Validations
    from cdk_nag import AwsSolutionsChecks

    app = App(outdir=outdir, context={**default_context(), **(context or {})})
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app


def add_territory_stack(app: App, territory: TerritoryConfig) -> TerritoryStack:
    from infra.stack import TerritoryStack

    return TerritoryStack(app, territory, env=stack_environment())


def build_app(
    territory: TerritoryConfig, outdir: str | None = None, context: dict[str, Any] | None = None
) -> tuple[App, TerritoryStack]:
    app = new_app(outdir, context)
    return app, add_territory_stack(app, territory)


def load(code: str) -> TerritoryConfig:
    path = territory_path(code)
    if not re.fullmatch(TERRITORY_CODE_PATTERN, code):
        raise TerritoryConfigError(
            f"{path}: invalid territory code {code!r} (expected {TERRITORY_CODE_PATTERN})"
        )
    territory = load_territory(path)
    if territory.code != code:
        raise TerritoryConfigError(f"{path}: key 'code' is {territory.code!r}, the file name says {code!r}")
    return territory


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.app", description="Synthesise one territory's stack."
    )
    parser.add_argument("--territory", help="territory code: infra/territories/<code>.json")
    parser.add_argument("--outdir", help="cloud assembly directory (default: ./cdk.out, or the CDK CLI's)")
    args = parser.parse_args(argv)

    try:
        # A territory named on the command line is checked before the (slower) CDK app starts.
        territory = load(args.territory) if args.territory else None
        # Under the CDK CLI, CDK_OUTDIR names the assembly directory; run directly, default to ./cdk.out.
        app = new_app(args.outdir or (None if os.environ.get("CDK_OUTDIR") else "cdk.out"))
        if territory is None:
            code = app.node.try_get_context(TERRITORY_CONTEXT_KEY)
            if not code:
                return _error(MISSING_TERRITORY)
            territory = load(str(code))
    except TerritoryConfigError as exc:
        return _error(str(exc))
    add_territory_stack(app, territory)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
