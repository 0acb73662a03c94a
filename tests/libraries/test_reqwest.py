"""reqwest clients in Rust: each construction and value pattern the Rust frontend follows, with
reqwest's defaults (and the ``Cargo.lock`` version that decides the keepalive default)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from support.lint import cargo_lock, lint

from lunalint.config import Settings
from lunalint.engine import check_paths
from lunalint.rust import FRONTEND
from lunalint.spec import ClientSpec, KeepaliveState, Setting, State

HEAD = "use reqwest::Client;\nuse std::time::Duration;\n"


def specs(code: str, path: str = "example.rs") -> list[ClientSpec]:
    analysis = FRONTEND.analyse(code.encode("utf-8"), path)
    return [] if analysis is None else analysis.specs


def one(code: str, path: str = "example.rs") -> ClientSpec:
    found = specs(code, path)
    assert len(found) == 1, found
    return found[0]


def seconds(setting: Setting | None) -> float | str | None:
    """A setting as one comparable value: seconds, "none" (disabled) or "unknown"."""
    if setting is None:
        return None
    if setting.state is State.SECONDS:
        return setting.seconds
    return setting.state.value


def chain(calls: str) -> str:
    return HEAD + f"fn make() -> reqwest::Result<Client> {{\n    Client::builder(){calls}.build()\n}}\n"


# ---- what counts as a client


@pytest.mark.parametrize("code", [
    "fn f() { let c = reqwest::Client::builder().build(); }",
    "use reqwest::ClientBuilder;\nfn f() { let c = ClientBuilder::new().build(); }",
    "fn f() { let c = reqwest::Client::new(); }",
    "use reqwest::Client;\nfn f() { let c = Client::default(); }",
    "use reqwest::Client as Http;\nfn f() { let c = Http::new(); }",
    "use reqwest::{self as rq};\nfn f() { let c = rq::Client::builder().build(); }",
    "use reqwest::*;\nfn f() { let c = Client::new(); }",
    "fn f() { let c = ::reqwest::Client::new(); }",
], ids=["path-builder", "clientbuilder-new", "client-new", "client-default", "alias", "crate-alias", "glob",
        "absolute"])
def test_async_constructions(code: str) -> None:
    spec = one(code)
    assert spec.label == "reqwest::Client" and spec.library == "reqwest"
    assert seconds(spec.pool_idle) == 90 and spec.pool_idle is not None and not spec.pool_idle.explicit
    assert seconds(spec.total_timeout) == "disabled" and seconds(spec.read_timeout) == "disabled"
    assert seconds(spec.connect_timeout) == "disabled"


@pytest.mark.parametrize("code", [
    "fn f() { let c = reqwest::blocking::Client::new(); }",
    "use reqwest::blocking;\nfn f() { let c = blocking::Client::builder().build(); }",
    "use reqwest::blocking::{Client, ClientBuilder};\nfn f() { let c = ClientBuilder::new().build(); }",
    "use reqwest::blocking::Client;\nfn f() { let c = Client::default(); }",
])
def test_blocking_constructions_default_to_30_seconds(code: str) -> None:
    spec = one(code)
    assert spec.label == "reqwest::blocking::Client"
    assert seconds(spec.read_timeout) == 30 and spec.read_timeout is not None and not spec.read_timeout.explicit
    assert spec.total_timeout is None
    assert seconds(spec.connect_timeout) == 30  # the blocking timeout bounds the wait, connecting included


def test_a_local_type_named_client_is_not_reqwest() -> None:
    code = "struct Client;\nimpl Client { fn new() -> Self { Client } }\nfn f() { let c = Client::new(); } // reqwest\n"
    assert specs(code) == []


def test_a_file_that_never_names_reqwest_is_not_parsed() -> None:
    assert FRONTEND.analyse(b"use hyper::Client;\nfn f() { let c = Client::new(); }\n", "x.rs") is None


def test_split_builder_chain() -> None:
    code = HEAD + """fn make() -> Client {
    let mut b = Client::builder();
    b = b.timeout(Duration::from_secs(30));
    let b = b.pool_idle_timeout(Duration::from_secs(20));
    b.build().unwrap()
}
"""
    spec = one(code)
    assert (seconds(spec.total_timeout), seconds(spec.pool_idle)) == (30, 20)


def test_conditionals_join_settings() -> None:
    code = HEAD + """fn make(flag: bool, t: Option<Duration>) -> Client {
    let mut b = Client::builder().connect_timeout(Duration::from_secs(5));
    if flag {
        b = b.timeout(Duration::from_secs(30));
    }
    if let Some(t) = t {
        b = b.read_timeout(t);
    }
    let b = if flag { b.pool_idle_timeout(Duration::from_secs(10)) } else { b.pool_idle_timeout(Duration::from_secs(10)) };
    let b = match 1 { 1 => b.tcp_keepalive(Duration::from_secs(30)), _ => b.tcp_keepalive(None) };
    b.build().unwrap()
}
"""
    spec = one(code)
    assert seconds(spec.connect_timeout) == 5
    assert seconds(spec.total_timeout) == "unknown"  # set on one path only
    assert seconds(spec.read_timeout) == "unknown"
    assert seconds(spec.pool_idle) == 10  # both branches agree
    assert spec.keepalive is not None and spec.keepalive.state is KeepaliveState.UNKNOWN


def test_helper_functions_returning_builders() -> None:
    code = HEAD + """fn base() -> reqwest::ClientBuilder {
    Client::builder().timeout(Duration::from_secs(45))
}
fn finish(b: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    b.connect_timeout(Duration::from_secs(3))
}
pub fn make() -> Client {
    finish(base()).pool_idle_timeout(None).build().expect("client")
}
"""
    found = specs(code)
    built = [spec for spec in found if seconds(spec.pool_idle) == "disabled"]
    assert len(built) == 1
    assert (seconds(built[0].total_timeout), seconds(built[0].connect_timeout)) == (45, 3)
    # ``finish`` on its own: a builder from elsewhere, only what it sets is known (and it builds nothing)
    assert len(found) == 1


def test_a_builder_parameter_that_is_built_knows_only_what_it_sets() -> None:
    code = HEAD + "fn finish(b: reqwest::ClientBuilder) -> Client {\n    b.timeout(Duration::from_secs(20)).build().unwrap()\n}\n"
    spec = one(code)
    assert seconds(spec.total_timeout) == 20
    assert seconds(spec.pool_idle) == "unknown" and seconds(spec.connect_timeout) == "unknown"


@pytest.mark.parametrize("code", [
    "static C: std::sync::LazyLock<Client> = std::sync::LazyLock::new(|| Client::builder().timeout(Duration::from_secs(9)).build().unwrap());",
    "static C: once_cell::sync::Lazy<Client> = once_cell::sync::Lazy::new(|| {\n    Client::builder().timeout(Duration::from_secs(9)).build().unwrap()\n});",
    "static C: OnceLock<Client> = OnceLock::new();\nfn c() -> &'static Client { C.get_or_init(|| Client::builder().timeout(Duration::from_secs(9)).build().unwrap()) }",
    "struct Api { http: Client }\nimpl Api { fn new() -> Self { Self { http: Client::builder().timeout(Duration::from_secs(9)).build().unwrap() } } }",
], ids=["LazyLock", "Lazy", "OnceLock", "struct-field"])
def test_clients_held_in_statics_and_structs(code: str) -> None:
    assert seconds(one(HEAD + code).total_timeout) == 9


def test_a_helper_that_builds_is_one_client_however_often_it_is_called() -> None:
    code = HEAD + "fn make() -> Client { Client::new() }\nfn a() { make(); }\nfn b() { make(); make(); }\n"
    assert len(specs(code)) == 1


# ---- values


@pytest.mark.parametrize(("expression", "expected"), [
    ("Duration::from_secs(30)", 30), ("Duration::from_millis(1_500)", 1.5), ("Duration::from_micros(2_000_000)", 2),
    ("Duration::from_nanos(3_000_000_000u64)", 3), ("Duration::from_secs_f32(2.5)", 2.5),
    ("Duration::from_secs_f64(0.25)", 0.25), ("Duration::from_mins(2)", 120), ("Duration::from_hours(1)", 3600),
    ("Duration::new(5, 500_000_000)", 5.5), ("Duration::ZERO", 0), ("Duration::MAX", "disabled"),
    ("std::time::Duration::from_secs(7)", 7), ("Duration::from_secs(5 * 60 + 10)", 310),
    ("Duration::from_secs(90 / 60)", 1), ("Duration::from_secs(2) * 3", 6), ("Duration::from_secs(N)", 42),
    ("Duration::from_secs(S as u64)", 42), ("D", 42), ("Duration::from_secs(N).max(D)", "unknown"),
    ("Duration::from_secs(std::env::var(\"T\").unwrap().parse().unwrap())", "unknown"),
    ("Duration::from_secs(cfg_timeout().unwrap_or(11))", 11),
    ("Duration::from_secs(cfg_timeout().unwrap_or_else(|| 12))", 12),
    ("cfg_timeout().map(Duration::from_secs).unwrap_or(Duration::from_secs(13))", 13),
    ("Duration::from_secs({ let t = 14; t })", 14),
], ids=lambda value: str(value))
def test_duration_values(expression: str, expected: float | str) -> None:
    code = HEAD + ("const N: u64 = 42;\nstatic S: i32 = 42;\nconst D: Duration = Duration::from_secs(N);\n"
                   "fn cfg_timeout() -> Option<u64> { std::env::var(\"T\").ok().and_then(|v| v.parse().ok()) }\n"
                   f"fn make() -> reqwest::Result<Client> {{\n    Client::builder().timeout({expression}).build()\n}}\n")
    spec = one(code)
    assert seconds(spec.total_timeout) == expected


def test_unwrap_or_fallback_is_noted() -> None:
    spec = one(chain(".timeout(Duration::from_secs(std::env::var(\"T\").ok().and_then(|v| v.parse().ok()).unwrap_or(60)))"))
    assert spec.total_timeout is not None and "unwrap_or" in spec.total_timeout.note


def test_some_and_none() -> None:
    spec = one(chain(".pool_idle_timeout(Some(Duration::from_secs(30))).tcp_keepalive(Some(Duration::from_secs(20)))"))
    assert seconds(spec.pool_idle) == 30
    assert spec.keepalive is not None and seconds(spec.keepalive.idle) == 20
    assert seconds(one(chain(".pool_idle_timeout(None)")).pool_idle) == "disabled"


def test_a_non_std_duration_is_unknown() -> None:
    code = ("use reqwest::Client;\nuse chrono::Duration;\n"
            "fn make() -> reqwest::Result<Client> {\n    Client::builder().timeout(Duration::seconds(5).to_std().unwrap()).build()\n}\n")
    assert seconds(one(code).total_timeout) == "unknown"


CONFIG = HEAD + """use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct HttpClientConfig {
    pub timeout_secs: u64,
    #[serde(default = "default_idle")]
    pub pool_idle_timeout_secs: u64,
    pub keepalive: Option<u64>,
}

fn default_idle() -> u64 {
    300
}

impl Default for HttpClientConfig {
    fn default() -> Self {
        Self { timeout_secs: 600, keepalive: Some(30), ..Self::partial() }
    }
}

impl HttpClientConfig {
    fn partial() -> Self { unimplemented!() }
}

pub struct Gateway {
    config: HttpClientConfig,
}

impl Gateway {
    fn client(&self) -> reqwest::Result<Client> {
        Client::builder()
            .timeout(Duration::from_secs(self.config.timeout_secs))
            .pool_idle_timeout(Duration::from_secs(self.config.pool_idle_timeout_secs))
            .tcp_keepalive(self.config.keepalive.map(Duration::from_secs))
            .build()
    }
}
"""


def test_config_struct_fields_from_impl_default_and_serde_default() -> None:
    spec = one(CONFIG)
    assert seconds(spec.total_timeout) == 600
    assert spec.total_timeout is not None and "HttpClientConfig::default()" in spec.total_timeout.note
    assert seconds(spec.pool_idle) == 300
    assert spec.pool_idle is not None and "serde default default_idle()" in spec.pool_idle.note
    assert spec.keepalive is not None and seconds(spec.keepalive.idle) == 30


def test_config_struct_built_in_the_file() -> None:
    code = HEAD + """struct Cfg { idle: u64, timeout: u64 }
impl Default for Cfg { fn default() -> Self { Cfg { idle: 600, timeout: 60 } } }
fn make() -> reqwest::Result<Client> {
    let cfg = Cfg { timeout: 900, ..Default::default() };
    Client::builder().pool_idle_timeout(Duration::from_secs(cfg.idle)).timeout(Duration::from_secs(cfg.timeout)).build()
}
"""
    spec = one(code)
    assert (seconds(spec.pool_idle), seconds(spec.total_timeout)) == (600, 900)


def test_a_field_of_an_unknown_value_is_unknown() -> None:
    code = HEAD + "fn make(cfg: &Other) -> reqwest::Result<Client> {\n    Client::builder().timeout(Duration::from_secs(cfg.t)).build()\n}\n"
    assert seconds(one(code).total_timeout) == "unknown"


# ---- reqwest semantics


def test_total_and_read_timeouts_bound_connecting() -> None:
    spec = one(chain(".timeout(Duration::from_secs(600)).read_timeout(Duration::from_secs(120))"))
    assert seconds(spec.connect_timeout) == 120
    assert spec.connect_timeout is not None and "read timeout also bounds connecting" in spec.connect_timeout.note
    assert seconds(one(chain(".connect_timeout(Duration::from_secs(4)).timeout(Duration::from_secs(600))")
                       ).connect_timeout) == 4


def test_per_request_timeout_replaces_the_clients() -> None:
    code = HEAD + """async fn ask(client: &Client, body: String) -> reqwest::Result<String> {
    client
        .post("https://api.example.com/v1/messages")
        .header("x", "y")
        .body(body)
        .timeout(Duration::from_secs(120))
        .send()
        .await?
        .text()
        .await
}
"""
    [spec] = specs(code)
    assert spec.label == "reqwest::RequestBuilder" and not spec.pooled
    assert seconds(spec.total_timeout) == 120 and spec.read_timeout is None


@pytest.mark.parametrize(("lock", "state", "idle"), [
    (None, KeepaliveState.OFF, None),
    ("0.11.27", KeepaliveState.OFF, None),
    ("0.12.22", KeepaliveState.OFF, None),
    ("0.12.23", KeepaliveState.ON, 15),
    ("0.13.4", KeepaliveState.ON, 15),
])
def test_keepalive_default_follows_the_locked_version(tmp_path: Path, lock: str | None, state: KeepaliveState,
                                                      idle: float | None) -> None:
    crate = tmp_path / "crates" / "api" / "src"
    crate.mkdir(parents=True)
    source = crate / "lib.rs"
    source.write_text(chain(""), encoding="utf-8")
    if lock is not None:
        (tmp_path / "Cargo.lock").write_text(cargo_lock(lock), encoding="utf-8")
    spec = one(source.read_text(encoding="utf-8"), str(source))
    assert spec.keepalive is not None and spec.keepalive.state is state and not spec.keepalive.explicit
    assert seconds(spec.keepalive.idle) == idle
    if lock is None:
        assert "no Cargo.lock found" in spec.keepalive.note and "0.12.23" in spec.keepalive.note


def test_the_lowest_of_several_locked_versions_counts(tmp_path: Path) -> None:
    (tmp_path / "Cargo.lock").write_text(cargo_lock("0.12.28", "0.11.27"), encoding="utf-8")
    source = tmp_path / "lib.rs"
    source.write_text(chain(""), encoding="utf-8")
    spec = one(chain(""), str(source))
    assert spec.keepalive is not None and spec.keepalive.state is KeepaliveState.OFF
    assert "0.11.27" in spec.keepalive.note


@pytest.mark.parametrize(("lock", "codes"), [("0.12.28", ["LL202"]), ("0.12.22", ["LL201"])])
def test_keepalive_none(tmp_path: Path, lock: str, codes: list[str]) -> None:
    (tmp_path / "Cargo.lock").write_text(cargo_lock(lock), encoding="utf-8")
    source = tmp_path / "lib.rs"
    source.write_text(chain(".tcp_keepalive(None)"), encoding="utf-8")
    found = [v.code for v in lint(source.read_text(encoding="utf-8"), path=str(source), select=("LL2",))]
    assert found == codes
    cleared = chain(".tcp_keepalive(None).tcp_keepalive_interval(None).tcp_keepalive_retries(None)")
    source.write_text(cleared, encoding="utf-8")
    assert [v.code for v in lint(cleared, path=str(source), select=("LL2",))] == ["LL201"]


def test_a_result_that_depends_on_cargo_lock_is_not_cached(tmp_path: Path) -> None:
    (tmp_path / "lib.rs").write_text(chain(""), encoding="utf-8")
    settings = Settings(root=tmp_path, select=("LL201",))
    cache = tmp_path / ".cache"
    assert [v.code for v in check_paths([tmp_path], settings, cache_dir=cache).violations] == ["LL201"]
    (tmp_path / "Cargo.lock").write_text(cargo_lock("0.12.28"), encoding="utf-8")
    assert check_paths([tmp_path], settings, cache_dir=cache).violations == []


def test_invalid_durations() -> None:
    spec = one(chain(".read_timeout(Duration::from_secs_f64(-2.0))"))
    assert spec.read_timeout is not None and spec.read_timeout.state is State.INVALID
    assert math.isinf(one(chain(".timeout(Duration::MAX)")).total_timeout.seconds or math.inf)  # type: ignore[union-attr]


# ---- placement, suppressions, bad input


def test_positions_suppressions_and_non_ascii(tmp_path: Path) -> None:
    code = HEAD + """fn make() -> reqwest::Result<Client> {
    let _s = "héllo"; let c = Client::builder().pool_idle_timeout(None).build();
    let d = Client::builder() // lunalint: ignore[LL101]
        .pool_idle_timeout(None)
        .build();
    let e = Client::builder().pool_idle_timeout(None).build(); // noqa: LL101
    c
}
"""
    found = [(v.line, v.column, v.end_column) for v in lint(code, path="x.rs", select=("LL101",))]
    assert found == [(4, 49, 72)]


def test_a_file_that_is_not_utf8_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "bad.rs").write_bytes(b"// reqwest\n\xff\xfe fn main() {}\n")
    report = check_paths([tmp_path], Settings(root=tmp_path))
    assert [(e.code, e.message) for e in report.errors] == [("E001", "not UTF-8: cannot decode byte 11")]


def test_syntax_errors_leave_the_rest_readable() -> None:
    code = HEAD + "fn broken() { let x = ; }\nfn make() -> Client { Client::new() }\n"
    assert len(specs(code)) == 1


def test_a_nested_lock_without_reqwest_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "Cargo.lock").write_text(cargo_lock("0.12.28"), encoding="utf-8")
    crate = tmp_path / "crates" / "common"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.lock").write_text("version = 4\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\n",
                                      encoding="utf-8")
    source = crate / "src" / "lib.rs"
    source.write_text(chain(""), encoding="utf-8")
    spec = one(chain(""), str(source))
    assert spec.keepalive is not None and spec.keepalive.state is KeepaliveState.ON
