import pytest

from tests.sandbox_support import requires_sandbox
from toolfoundry.checks import CodeValidator
from toolfoundry.context import builtin_library


@requires_sandbox
@pytest.mark.parametrize("tool", builtin_library(), ids=lambda tool: tool.spec.name)
def test_every_builtin_example_tool_is_really_verified(tool) -> None:
    result = CodeValidator().validate(tool.code, tool.spec)
    assert result.verified, (result.unverified_reason, [str(finding) for finding in result.findings])
