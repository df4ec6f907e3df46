from tests.sso.conftest import _fresh_registry  # noqa: F401 - autouse fixture
