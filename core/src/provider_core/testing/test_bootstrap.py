"""generate_bootstrap: content, format and checksum; shell parses with bash -n, cloud-init is YAML.

A provider is held to the formats it declares (Provider.bootstrap_formats); one that declares none (it
overrides generate_bootstrap, as the original contract allowed) only to the script it renders by default.
"""

from __future__ import annotations

import shutil
import subprocess

import attrs
import pytest

from provider_core import (
    BootstrapConfig,
    BootstrapFormat,
    BootstrapScript,
    ErrorCode,
    ProviderError,
    ProviderHandle,
)
from provider_core.author import sha256_hex
from provider_core.testing._fixtures import run_id


@pytest.fixture
def bootstrap_config(pytestconfig: pytest.Config) -> BootstrapConfig:
    # Values a shell would misread if the provider failed to quote them.
    return BootstrapConfig(
        control_plane_url="https://control-plane.invalid/api",
        instance_token=f"cc-token-{run_id(pytestconfig)}",
        agent_version="1.2.3",
        env={"CC_RUN": run_id(pytestconfig), "CC_TRICKY": 'it\'s $(not) `run`; "quoted" & done\nline two'},
    )


def _render(
    handle: ProviderHandle, config: BootstrapConfig, wanted: BootstrapFormat | None
) -> BootstrapScript:
    script = handle.generate_bootstrap(attrs.evolve(config, format=wanted))
    assert isinstance(script.content, str), f"generate_bootstrap returned no content: {script.content!r}"
    assert script.content.strip(), "generate_bootstrap returned empty content"
    assert isinstance(script.format, BootstrapFormat), f"generate_bootstrap returned format {script.format!r}"
    assert script.checksum == sha256_hex(script.content), (
        f"bootstrap checksum is not sha256(content): got {script.checksum!r}, "
        f"expected {sha256_hex(script.content)!r}"
    )
    if wanted is not None:
        assert script.format == wanted, (
            f"generate_bootstrap returned {script.format} when {wanted} was asked for"
        )
    return script


def _delivered(
    handle: ProviderHandle, config: BootstrapConfig, wanted: BootstrapFormat
) -> BootstrapFormat | None:
    """The format to ask for to check `wanted` scripts: `wanted`, or None (the provider's choice)."""
    formats = handle.provider.bootstrap_formats
    if formats:
        if wanted not in formats:
            pytest.skip(f"provider '{handle.name}' does not deliver {wanted} bootstraps")
        return wanted
    # It declares no formats, so it is held only to the script it renders when asked for none.
    rendered = handle.generate_bootstrap(config).format
    if rendered is not wanted:
        pytest.skip(f"provider '{handle.name}' declares no bootstrap_formats and renders {rendered}")
    return None


@pytest.fixture
def shell(handle: ProviderHandle, bootstrap_config: BootstrapConfig) -> BootstrapFormat | None:
    return _delivered(handle, bootstrap_config, BootstrapFormat.SHELL)


@pytest.fixture
def cloud_init(handle: ProviderHandle, bootstrap_config: BootstrapConfig) -> BootstrapFormat | None:
    return _delivered(handle, bootstrap_config, BootstrapFormat.CLOUD_INIT)


@pytest.fixture
def undelivered(handle: ProviderHandle) -> BootstrapFormat:
    formats = handle.provider.bootstrap_formats
    if not formats:
        pytest.skip(f"provider '{handle.name}' declares no bootstrap_formats: no format is asked for by name")
    missing = [f for f in BootstrapFormat if f not in formats]
    if not missing:
        pytest.skip(f"provider '{handle.name}' delivers every bootstrap format")
    return missing[0]


@pytest.fixture
def bash() -> str:
    found = shutil.which("bash")
    if found is None:
        pytest.skip("bash is not installed")
    return found


def test_bootstrap_has_content_format_and_checksum(
    handle: ProviderHandle, bootstrap_config: BootstrapConfig
) -> None:
    script = _render(handle, bootstrap_config, None)
    formats = handle.provider.bootstrap_formats
    assert not formats or script.format in formats, (
        f"generate_bootstrap returned {script.format}, not one of its formats {formats}"
    )
    for wanted in formats:
        _render(handle, bootstrap_config, wanted)


def test_bootstrap_rejects_formats_it_does_not_deliver(
    handle: ProviderHandle, bootstrap_config: BootstrapConfig, undelivered: BootstrapFormat
) -> None:
    with pytest.raises(ProviderError) as caught:
        handle.generate_bootstrap(attrs.evolve(bootstrap_config, format=undelivered))
    assert caught.value.code == ErrorCode.INVALID_SPEC, (
        f"an unsupported bootstrap format must raise INVALID_SPEC, got {caught.value.code}"
    )


def test_shell_bootstrap_passes_bash_n(
    handle: ProviderHandle, bootstrap_config: BootstrapConfig, shell: BootstrapFormat | None, bash: str
) -> None:
    script = _render(handle, bootstrap_config, shell)
    checked = subprocess.run(
        [bash, "-n"], input=script.content, capture_output=True, text=True, timeout=60, check=False
    )
    assert checked.returncode == 0, f"shell bootstrap does not pass bash -n: {checked.stderr.strip()}"


def test_cloud_init_bootstrap_is_yaml(
    handle: ProviderHandle, bootstrap_config: BootstrapConfig, cloud_init: BootstrapFormat | None
) -> None:
    yaml = pytest.importorskip("yaml", reason="pyyaml (provider-core[testing]) checks cloud-init")
    script = _render(handle, bootstrap_config, cloud_init)
    header = script.content.splitlines()[0]
    assert header.strip() == "#cloud-config", (
        f"cloud-init bootstrap must start with #cloud-config, got {header!r}"
    )
    try:
        document = yaml.safe_load(script.content)
    except yaml.YAMLError as exc:
        pytest.fail(f"cloud-init bootstrap is not valid YAML: {exc}", pytrace=False)
    assert isinstance(document, dict), (
        f"cloud-init bootstrap must be a YAML mapping, got {type(document).__name__}"
    )
