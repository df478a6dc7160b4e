"""Fixed characters with different access, used by every test (see kalkan/core/testing.py)."""

from kalkan.core.testing import *  # noqa: F403


def pytest_configure(config):
    from kalkan.core.i18n import compile_catalogues

    compile_catalogues()
