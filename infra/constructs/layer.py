"""The common Lambda layer: package `sas_common` and the runtime dependencies, built without Docker.

The layer is bundled locally with uv, which installs manylinux wheels for the Lambda platform
(python3.12, arm64) from any host: `--python-platform` and `--only-binary :all:` never build from source.
The bundling image is required by the CDK API but only used if local bundling is unavailable, which
`LocalLayerBundling` never reports: without uv it fails with a clear message instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import REPO_ROOT

LAYER_SOURCE = REPO_ROOT / "layers" / "common"
PACKAGE = "sas_common"
PYPROJECT = REPO_ROOT / "pyproject.toml"

PYTHON_VERSION = "3.12"
PYTHON_PLATFORM = "aarch64-manylinux2014"
RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.ARM_64
BUNDLING_IMAGE = "public.ecr.aws/sam/build-python3.12"

# The AWS SDK comes with the Lambda runtime. boto3 is left out of the requirements and, with the two
# packages only it needs, excluded from resolution, so that a transitive dependency (aws-xray-sdk needs
# botocore) does not ship a second botocore that would shadow the runtime's and mismatch its boto3.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
# Installed next to the packages by some wheels, never importable: scripts, C headers, CMake files.
NOT_IMPORTABLE = ("bin", "include", "lib64", "share")

Runner = Callable[[Sequence[str]], None]

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    found = _NAME.match(requirement)
    if not found:
        raise ValueError(f"cannot read a package name in requirement {requirement!r}")
    return normalise(found.group(1))


def runtime_requirements(pyproject: Path = PYPROJECT) -> list[str]:
    """`[project].dependencies` of pyproject.toml, minus what the Lambda runtime provides."""
    with pyproject.open("rb") as stream:
        dependencies: list[str] = tomllib.load(stream)["project"]["dependencies"]
    return [req for req in dependencies if requirement_name(req) not in RUNTIME_PROVIDED]


def uv_executable() -> str:
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        raise RuntimeError("bundling the common layer needs uv (https://docs.astral.sh/uv/) on the PATH")
    return found


def install_command(uv: str, target: Path, requirements: Iterable[str], excludes_file: Path) -> list[str]:
    """The uv command installing the requirements as Lambda (python3.12, arm64) wheels into `target`."""
    return [
        uv,
        "pip",
        "install",
        "--target",
        str(target),
        "--python-platform",
        PYTHON_PLATFORM,
        "--python-version",
        PYTHON_VERSION,
        "--only-binary",
        ":all:",
        "--excludes",
        str(excludes_file),
        *requirements,
    ]


def run_command(command: Sequence[str]) -> None:
    print("$ " + " ".join(command), file=sys.stderr)
    subprocess.run(command, check=True)  # noqa: S603 - a fixed uv command line, no shell


@jsii.implements(ILocalBundling)
class LocalLayerBundling:
    """Builds the layer's `python/` directory on this host: runtime wheels, then `sas_common` itself."""

    def __init__(
        self,
        *,
        package_dir: Path = LAYER_SOURCE / PACKAGE,
        requirements: Sequence[str] | None = None,
        runner: Runner = run_command,
        uv: str | None = None,
    ) -> None:
        self.package_dir = package_dir
        self.requirements = list(runtime_requirements() if requirements is None else requirements)
        self.runner = runner
        self.uv = uv

    def try_bundle(self, output_dir: str, options: BundlingOptions) -> bool:
        target = Path(output_dir) / "python"
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="sas-layer-") as scratch:
            excludes = Path(scratch) / "excludes.txt"
            excludes.write_text("\n".join(RUNTIME_PROVIDED) + "\n", encoding="utf-8")
            self.runner(install_command(self.uv or uv_executable(), target, self.requirements, excludes))
        for name in NOT_IMPORTABLE:
            shutil.rmtree(target / name, ignore_errors=True)
        for cache in list(target.rglob("__pycache__")):
            shutil.rmtree(cache, ignore_errors=True)
        shutil.copytree(
            self.package_dir,
            target / self.package_dir.name,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        return True


class CommonLayer(Construct):
    """`sas_common` and the runtime dependencies, for python3.12 on arm64.

    The asset hash is the bundled output's: the layer version changes exactly when its content does
    (a new `sas_common` or a newly resolved dependency).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, bundling: LocalLayerBundling | None = None
    ) -> None:
        super().__init__(scope, construct_id)
        local = bundling or LocalLayerBundling()
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            code=lambda_.Code.from_asset(
                str(LAYER_SOURCE),
                asset_hash_type=AssetHashType.OUTPUT,
                bundling=BundlingOptions(
                    image=DockerImage.from_registry(BUNDLING_IMAGE),
                    local=local,  # type: ignore[arg-type]  # jsii passes the options positionally
                ),
            ),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="sas_common and its runtime dependencies (python3.12, arm64)",
        )
