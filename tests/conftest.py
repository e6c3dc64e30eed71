"""Fixtures for tests that use this machine's real PostgreSQL and Redis servers (started by
.ci/run when they are not running). Override with HARBOR_TEST_POSTGRES / HARBOR_TEST_REDIS."""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

POSTGRES_ADMIN = os.environ.get("HARBOR_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("HARBOR_TEST_REDIS", "redis://127.0.0.1:6379/9")
TEST_DATABASE = "harbor_test"


def run_coroutine(coroutine):
    """asyncio.run in a thread of its own: the browser tests' Playwright keeps a loop in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session", autouse=True)
def private_data_dir(tmp_path_factory):
    """The servers the tests start keep conversations, keys and logs out of the developer's var/."""
    previous = os.environ.get("HARBOR_DATA_DIR")
    os.environ["HARBOR_DATA_DIR"] = str(tmp_path_factory.mktemp("harbor-data"))
    yield
    if previous is None:
        os.environ.pop("HARBOR_DATA_DIR", None)
    else:
        os.environ["HARBOR_DATA_DIR"] = previous


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh database on this machine's PostgreSQL server."""
    import sqlalchemy as sa

    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {TEST_DATABASE} WITH (FORCE)"))
        connection.execute(sa.text(f"CREATE DATABASE {TEST_DATABASE}"))
    admin.dispose()
    yield POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{TEST_DATABASE}"


@pytest.fixture(scope="session")
def redis_url():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
