import pytest

from tests.helpers import requires_sandbox
from toolfoundry.checks import CodeValidator
from toolfoundry.library import builtin_library


@requires_sandbox
@pytest.mark.parametrize("tool", builtin_library(), ids=lambda tool: tool.spec.name)
def test_every_builtin_example_tool_is_really_verified(tool) -> None:
    result = CodeValidator().validate(tool.code, tool.spec)
    assert result.verified, (result.unverified_reason, [str(finding) for finding in result.findings])
