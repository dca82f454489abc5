"""URL parsing and DatabaseConfig validation."""

from __future__ import annotations

import pytest

from covet.db import DEFAULT_URL, Database, DatabaseConfig, parse_url


def test_postgresql_url_maps_onto_config() -> None:
    config = parse_url("postgresql://app:s3cret@db.example.com:6543/shop?pool_max_size=20&acquire_timeout=5")
    assert config.backend == "postgresql"
    assert (config.host, config.port) == ("db.example.com", 6543)
    assert (config.user, config.password) == ("app", "s3cret")
    assert config.database == "shop"
    assert config.pool_max_size == 20
    assert config.acquire_timeout == 5.0


def test_aliases_and_driver_suffixes() -> None:
    assert parse_url("postgres://u@h/d").backend == "postgresql"
    assert parse_url("postgresql+psycopg://u@h/d").backend == "postgresql"
    assert parse_url("mariadb://root@h/d").backend == "mysql"
    assert parse_url("mysql+aiomysql://root@h/d").backend == "mysql"
    assert parse_url("sqlite+aiosqlite:///x.db").database == "x.db"


def test_percent_encoded_credentials_and_ipv6_host() -> None:
    config = parse_url("postgresql://us%40er:p%3Aw%2Fd@[::1]:5432/my%20db")
    assert (config.user, config.password, config.host, config.database) == ("us@er", "p:w/d", "::1", "my db")
    assert config.url == "postgresql://us%40er:***@[::1]:5432/my%20db"


def test_url_property_hides_the_password() -> None:
    config = parse_url("mysql://root:hunter2@127.0.0.1:3306/test")
    assert "hunter2" not in config.url
    assert "hunter2" not in repr(config)
    assert "hunter2" not in repr(Database("mysql://root:hunter2@127.0.0.1:3306/test"))


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///./covet.db", "./covet.db"),
        ("sqlite:///relative/app.db", "relative/app.db"),
        ("sqlite:////var/lib/app.db", "/var/lib/app.db"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_sqlite_paths(url: str, path: str) -> None:
    assert parse_url(url).database == path


def test_default_url_is_embedded_sqlite() -> None:
    assert DEFAULT_URL == "sqlite:///./covet.db"
    db = Database()
    assert db.backend == "sqlite"
    assert db.config.database == "./covet.db"
    assert db.paramstyle == "qmark"


def test_memory_database_is_one_connection() -> None:
    assert parse_url("sqlite:///:memory:").pool_max_size == 1
    with pytest.raises(ValueError, match="one shared connection"):
        parse_url("sqlite:///:memory:?pool_max_size=4")


def test_backend_defaults_for_pool_size() -> None:
    assert parse_url("postgresql://u@h/d").pool_max_size == 10
    assert parse_url("sqlite:///x.db").pool_max_size == 5


def test_option_types_are_converted() -> None:
    config = parse_url(
        "postgresql://u@h/d?pool_min_size=2&max_idle=30.5&leak_threshold=none&prepare_threshold=off"
        "&isolation=repeatable_read&sslmode=require&check_after_idle=0"
    )
    assert config.pool_min_size == 2
    assert config.max_idle == 30.5
    assert config.leak_threshold is None
    assert config.prepare_threshold is None
    assert config.isolation == "REPEATABLE READ"
    assert config.sslmode == "require"
    assert config.check_after_idle == 0.0
    assert parse_url("sqlite:///x.db?foreign_keys=false&journal_mode=DELETE").foreign_keys is False


def test_unknown_option_is_named() -> None:
    with pytest.raises(ValueError, match="unknown database option 'pool_maxsize'"):
        parse_url("postgresql://u@h/d?pool_maxsize=20")


def test_option_for_another_backend_is_rejected() -> None:
    with pytest.raises(ValueError, match="'journal_mode' does not apply to postgresql"):
        parse_url("postgresql://u@h/d?journal_mode=wal")
    with pytest.raises(ValueError, match="'prepare_threshold' does not apply to sqlite"):
        Database("sqlite:///x.db", prepare_threshold=3)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("oracle://u@h/d", "unsupported database scheme 'oracle'"),
        ("postgresql+asyncpg://u@h/d", "driver 'asyncpg' is not supported"),
        ("localhost/db", "not a database URL"),
        ("postgresql://u@h", "needs a database name"),
        ("postgresql://u@h:99999/d", "port"),
        ("postgresql://u@h/d?pool_max_size=ten", r"pool_max_size='ten' is not an int"),
        ("postgresql://u@h/d?acquire_timeout=-1", "acquire_timeout must be positive"),
        ("postgresql://u@h/d?pool_min_size=5&pool_max_size=2", r"pool_min_size \(5\) must not exceed"),
        ("postgresql://u@h/d?isolation=chaos", "unknown isolation level 'chaos'"),
        ("postgresql://u@h/d?sslmode=maybe", "unknown sslmode"),
        ("postgresql://u@h/d?pool_max_size=2&pool_max_size=3", "given twice"),
        ("postgresql://u@h/d?host=other", "belongs in the URL itself"),
        ("sqlite://host/x.db", "sqlite URLs have no host"),
        ("sqlite:///", "needs a path"),
        ("sqlite:///x.db?foreign_keys=maybe", "not a boolean"),
        ("sqlite:///x.db?journal_mode=fast", "unknown journal_mode"),
    ],
)
def test_bad_urls_raise_a_clear_value_error(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_url(url)


def test_keyword_overrides_win_over_the_query_string() -> None:
    db = Database("postgresql://u@h/d?pool_max_size=20", pool_max_size=3)
    assert db.config.pool_max_size == 3


def test_database_accepts_a_config_object() -> None:
    config = DatabaseConfig(backend="sqlite", database=":memory:")
    assert Database(config).config is config
    assert Database(config, acquire_timeout=2.0).config.acquire_timeout == 2.0
    with pytest.raises(ValueError, match="unknown database option 'bogus'"):
        config.replace(bogus=1)


def test_non_string_url_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse_url(42)  # type: ignore[arg-type]
