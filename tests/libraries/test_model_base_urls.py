"""A base URL on a model API host is a model endpoint when its path only names a version or an API
prefix (``openai/v1``, ``compatible-mode/v1``, ``inference/v1``), never when it names a resource."""

from __future__ import annotations

import pytest
from support.lint import lint

MODEL_BASES = ["https://api.openai.com/v1", "https://api.groq.com/openai/v1", "https://api.deepinfra.com/v1/openai",
               "https://dashscope.aliyuncs.com/compatible-mode/v1", "https://api.fireworks.ai/inference/v1/",
               "https://generativelanguage.googleapis.com/v1beta", "https://api.anthropic.com",
               "https://res.openai.azure.com/openai/deployments/gpt-4o", "https://api.openai.com/{}"]
RESOURCES = ["https://api.openai.com/v1/models", "https://api.openai.com/v1/files",
             "https://api.openai.com/v1/organization/usage", "https://api.groq.com/openai/v1/batches"]
# An unknown segment after the version is some resource (a catch-all proxy's ``v1/{endpoint}``).
ANY_RESOURCE = ["https://api.anthropic.com/v1/{}", "https://api.openai.com/v1/{}/"]


@pytest.mark.parametrize("base", MODEL_BASES)
def test_a_model_base_url_is_evidence(base: str) -> None:
    url = base.replace("{}", "{version}")  # a part not known statically
    source = f"import httpx\ndef make(version):\n    return httpx.AsyncClient(base_url=f'{url}', timeout=30)\n"
    [message] = [v.message for v in lint(source) if v.code == "LL302"]
    assert "read timeout 30 s" in message
    assert message.endswith(f"model-endpoint: `{base}` at line 3")


@pytest.mark.parametrize("base", RESOURCES)
def test_a_resource_path_on_a_model_host_is_not(base: str) -> None:
    source = f"import httpx\nc = httpx.AsyncClient(base_url='{base}', timeout=30)\n"
    assert [v.code for v in lint(source) if v.code.startswith("LL30")] == []


@pytest.mark.parametrize("url", ANY_RESOURCE)
def test_an_unknown_resource_after_the_version_is_not(url: str) -> None:
    request = url.replace("{}", "{endpoint}")
    source = (f"import httpx\nasync def proxy(endpoint):\n    async with httpx.AsyncClient(timeout=300) as c:\n"
              f"        return await c.request('GET', f'{request}')\n")
    assert [v.code for v in lint(source) if v.code.startswith("LL30")] == []
    [strict] = [v.message for v in lint(source, streaming_scope="all") if v.code == "LL302"]
    assert "read timeout 300 s" in strict
