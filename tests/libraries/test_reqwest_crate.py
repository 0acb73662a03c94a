"""reqwest clients configured in other files of the same crate: ``use crate::..``, ``super::``,
``self::`` and child-module paths, ``pub use`` re-exports, helper functions and methods that take
the builder, constants, config structs and their ``Default``; the result keyed on every file read.
Also ``lazy_static!`` and ``thread_local!`` statics."""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

from support.lint import cargo_lock, lint

from lunalint.config import Settings
from lunalint.engine import check_paths
from lunalint.report import Violation

MANIFEST = '[package]\nname = "my-app"\nversion = "0.1.0"\nedition = "2021"\n'


def crate(root: Path, files: dict[str, str], *, manifest: bool = True) -> Path:
    """Write a crate (``Cargo.toml`` and ``files``, paths relative to the crate) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    if manifest:
        (root / "Cargo.toml").write_text(MANIFEST, encoding="utf-8")
    for name, code in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(code), encoding="utf-8")
    return root


def check(path: Path, *, select: tuple[str, ...] = ()) -> list[Violation]:
    return lint(path.read_text(encoding="utf-8"), path=str(path), select=select, streaming_scope="all")


def messages(found: list[Violation]) -> dict[str, str]:
    return {violation.code: violation.message for violation in found}


def head(violation: Violation) -> str:
    """The message up to its first note or verb: "reqwest::Client total timeout 45 s"."""
    return re.split(r" \(| is | exceeds ", violation.message)[0]


CONFIG_RS = """
    use std::time::Duration;

    pub const TIMEOUT_SECS: u64 = 45;

    pub struct HttpConfig {
        pub timeout: Option<Duration>,
        pub connect: Option<Duration>,
    }

    impl Default for HttpConfig {
        fn default() -> Self {
            Self { timeout: Some(Duration::from_secs(TIMEOUT_SECS)), connect: None }
        }
    }

    impl HttpConfig {
        pub fn apply_to_builder(&self, mut builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
            if let Some(timeout) = self.timeout {
                builder = builder.timeout(timeout);
            }
            if let Some(connect) = self.connect {
                builder = builder.connect_timeout(connect);
            }
            builder.pool_max_idle_per_host(4)
        }
    }
"""


def test_a_method_of_a_config_default_from_another_file(tmp_path: Path) -> None:
    root = crate(tmp_path, {
        "src/lib.rs": "pub mod client;\nmod web_config;\npub use web_config::*;\n",
        "src/web_config.rs": CONFIG_RS,
        "src/client/mod.rs": "pub mod builder;\n",
        "src/client/builder.rs": """
            pub fn make() -> reqwest::Client {
                let config = crate::web_config::HttpConfig::default();
                let mut builder = reqwest::Client::builder();
                builder = config.apply_to_builder(builder);
                builder.build().unwrap()
            }
        """,
    })
    found = check(root / "src/client/builder.rs")
    assert messages(found)["LL302"].startswith("reqwest::Client total timeout 45 s (HttpConfig::default())")
    assert "connect timeout 45 s (the total timeout also bounds connecting)" in messages(found)["LL402"]
    # what the other file set is reported where this file reached it: the apply_to_builder call
    assert {(v.code, v.line) for v in found if v.code in ("LL302", "LL402")} == {("LL302", 5), ("LL402", 5)}
    assert "no Cargo.lock found" in messages(found)["LL201"]


def test_paths_through_super_self_reexports_and_the_package_name(tmp_path: Path) -> None:
    uses = {
        "super": "use super::super::web_config::HttpConfig;",
        "reexport": "use crate::HttpConfig;",  # ``pub use web_config::*;`` in lib.rs
        "glob-of-glob": "use crate::net::HttpConfig;",  # net/mod.rs: ``pub use crate::web_config::*;``
        "package": "use my_app::web_config::HttpConfig;",
        "self": "mod local {\n    pub use crate::web_config::HttpConfig;\n}\nuse self::local::HttpConfig;",
    }
    for name, line in uses.items():
        root = crate(tmp_path / name, {
            "src/lib.rs": "pub mod net;\npub mod web_config;\npub use web_config::*;\n",
            "src/web_config.rs": CONFIG_RS,
            "src/net/mod.rs": "pub mod client;\npub mod inner;\npub use crate::web_config::*;\n",
            "src/net/inner.rs": "pub use crate::web_config::HttpConfig;\n",
            "src/net/client.rs": f"""
                {line}
                pub fn make() -> reqwest::Client {{
                    HttpConfig::default().apply_to_builder(reqwest::Client::builder()).build().unwrap()
                }}
            """.replace("\n                ", "\n"),
        })
        found = check(root / "src/net/client.rs", select=("LL302",))
        assert [head(v) for v in found] == ["reqwest::Client total timeout 45 s"], name


def test_an_unknown_config_sets_what_it_may_and_never_keepalive(tmp_path: Path) -> None:
    """The receiver comes from runtime configuration: its ``if let`` branches may or may not run
    (unknown timeout), but the method never sets a keepalive."""
    root = crate(tmp_path, {
        "src/lib.rs": "pub mod web_config;\npub mod client;\n",
        "src/web_config.rs": CONFIG_RS,
        "src/client.rs": """
            use crate::web_config::HttpConfig;
            pub fn make(configs: &[HttpConfig]) -> reqwest::Client {
                let config = configs.first().expect("one");
                config.apply_to_builder(reqwest::Client::builder()).build().unwrap()
            }
        """,
    })
    (tmp_path / "Cargo.lock").write_text(cargo_lock("0.12.21"), encoding="utf-8")
    found = check(root / "src/client.rs")
    assert [v.code for v in found] == ["LL201"]
    assert "reqwest 0.12.21 in Cargo.lock sets none by default" in found[0].message


def test_a_helper_function_in_another_module(tmp_path: Path) -> None:
    root = crate(tmp_path, {
        "src/main.rs": "mod http;\nmod app;\nfn main() {}\n",
        "src/http.rs": """
            use std::time::Duration;
            use reqwest::ClientBuilder;
            pub const CONNECT: Duration = Duration::from_secs(50);
            pub fn with_defaults(builder: ClientBuilder, read: u64) -> ClientBuilder {
                builder.connect_timeout(CONNECT).read_timeout(Duration::from_secs(read))
            }
        """,
        "src/app.rs": """
            use crate::http::{self, CONNECT};
            pub fn make() -> reqwest::Client {
                let b = http::with_defaults(reqwest::Client::builder(), 20);
                b.pool_idle_timeout(CONNECT * 10).build().unwrap()
            }
        """,
    })
    found = messages(check(root / "src/app.rs"))
    assert found["LL402"].startswith("reqwest::Client connect timeout 50 s exceeds the maximum of 30 s")
    assert found["LL302"].startswith("reqwest::Client read timeout 20 s is below the streaming minimum")
    assert found["LL102"].startswith("reqwest::Client pool idle expiry 500 s exceeds the maximum of 90 s")


def test_a_builder_handed_to_a_constructor_in_another_file_that_builds_it(tmp_path: Path) -> None:
    """The builder starts here and is built there: the client is this file's, reported at the call;
    the other file's own check knows only what it sets."""
    root = crate(tmp_path, {
        "src/lib.rs": "pub mod dispatcher;\n",
        "src/dispatcher/mod.rs": "pub mod client;\npub mod provider;\n",
        "src/dispatcher/provider.rs": """
            use reqwest::ClientBuilder;
            pub struct Client { inner: reqwest::Client }
            impl Client {
                pub fn new(base: ClientBuilder, key: &str) -> Result<Self, reqwest::Error> {
                    let inner = base.default_headers(headers(key)).build()?;
                    Ok(Self { inner })
                }
            }
        """,
        "src/dispatcher/client.rs": """
            use std::time::Duration;
            use crate::dispatcher::provider::Client as ProviderClient;
            pub fn make(key: &str) -> ProviderClient {
                let base = reqwest::Client::builder().timeout(Duration::from_secs(12));
                ProviderClient::new(base, key).unwrap()
            }
        """,
    })
    (tmp_path / "Cargo.lock").write_text(cargo_lock("0.12.21"), encoding="utf-8")
    found = check(root / "src/dispatcher/client.rs")
    assert {(v.code, v.line) for v in found} == {("LL201", 5), ("LL302", 5)}
    assert messages(found)["LL302"].startswith("reqwest::Client total timeout 12 s")
    assert check(root / "src/dispatcher/provider.rs") == []  # a builder from elsewhere: nothing known


def test_a_client_built_entirely_in_another_file_is_reported_there_once(tmp_path: Path) -> None:
    """Values passed that do not change the client (a request struct, a name) leave it to the
    other file's own check, as does a ``Default`` that builds one (evaluated once per file)."""
    root = crate(tmp_path, {
        "src/lib.rs": "pub mod http;\npub mod app;\n",
        "src/http.rs": """
            pub struct Login { pub user: String, pub retries: u32 }
            pub fn client() -> reqwest::Client {
                reqwest::Client::new()
            }
            pub fn login(request: Login, attempts: u32) -> reqwest::Client {
                reqwest::Client::builder().build().unwrap()
            }
            pub struct Api { http: reqwest::Client }
            impl Default for Api {
                fn default() -> Self { Self { http: reqwest::Client::new() } }
            }
            impl Api {
                pub fn new() -> Self { Self::default() }
            }
        """,
        "src/app.rs": """
            use crate::http::{client, Login};
            pub fn run() {
                let c = client();
                let d = crate::http::client();
                let e = crate::http::login(Login { user: "a".to_string(), retries: 3 }, 2);
                let f = crate::http::Api::default();
                let g = crate::http::Api::new();
            }
        """,
    })
    assert check(root / "src/app.rs") == []
    assert sorted(v.code for v in check(root / "src/http.rs")) == ["LL201"] * 3 + ["LL301"] * 3 + ["LL401"] * 3


def test_a_known_argument_makes_the_client_this_files(tmp_path: Path) -> None:
    root = crate(tmp_path, {
        "src/lib.rs": "pub mod http;\npub mod app;\n",
        "src/http.rs": """
            pub fn client(timeout: std::time::Duration) -> reqwest::Client {
                reqwest::Client::builder().timeout(timeout).build().unwrap()
            }
        """,
        "src/app.rs": "pub fn run() -> reqwest::Client {\n    crate::http::client(std::time::Duration::from_secs(7))\n}\n",
    })
    found = check(root / "src/app.rs", select=("LL302",))
    assert [(v.line, head(v)) for v in found] == [(2, "reqwest::Client total timeout 7 s")]


def test_constants_config_fields_and_serde_defaults_of_another_file(tmp_path: Path) -> None:
    root = crate(tmp_path, {
        "src/lib.rs": "pub mod settings;\npub mod net;\n",
        "src/settings.rs": """
            use serde::Deserialize;
            pub const IDLE: u64 = 3600;
            #[derive(Deserialize)]
            pub struct Timeouts {
                #[serde(default = "default_read")]
                pub read_secs: u64,
                pub connect_secs: u64,
            }
            fn default_read() -> u64 { 25 }
            impl Timeouts {
                pub const CONNECT: u64 = 40;
            }
        """,
        "src/net.rs": """
            use std::time::Duration;
            use crate::settings::{Timeouts, IDLE};
            pub fn make(t: &Timeouts) -> reqwest::Client {
                reqwest::Client::builder()
                    .read_timeout(Duration::from_secs(t.read_secs))
                    .connect_timeout(Duration::from_secs(Timeouts::CONNECT))
                    .pool_idle_timeout(Duration::from_secs(super::settings::IDLE.min(IDLE)))
                    .build()
                    .unwrap()
            }
        """,
    })
    found = messages(check(root / "src/net.rs"))
    assert found["LL302"].startswith("reqwest::Client read timeout 25 s (serde default default_read())")
    assert found["LL402"].startswith("reqwest::Client connect timeout 40 s")
    assert "LL102" not in found  # ``.min(..)`` is not evaluated: unknown, never a finding


def test_struct_update_syntax_with_a_default_from_another_file(tmp_path: Path) -> None:
    root = crate(tmp_path, {
        "src/lib.rs": "pub mod config;\npub mod net;\n",
        "src/config.rs": CONFIG_RS,
        "src/net.rs": """
            use std::time::Duration;
            use crate::config::HttpConfig;
            pub fn make() -> reqwest::Client {
                let mut config = HttpConfig { connect: Some(Duration::from_secs(35)), ..Default::default() };
                config.timeout = None;
                config.apply_to_builder(reqwest::Client::builder()).build().unwrap()
            }
        """,
    })
    found = messages(check(root / "src/net.rs"))
    assert found["LL402"].startswith("reqwest::Client connect timeout 35 s")
    assert found["LL301"].startswith("reqwest::Client read timeout and total timeout are disabled")


def test_path_attribute_and_a_crate_found_without_a_manifest(tmp_path: Path) -> None:
    files = {
        "src/lib.rs": "#[path = \"shared/limits.rs\"]\nmod limits;\nmod client;\n",
        "src/shared/limits.rs": "pub const READ: std::time::Duration = std::time::Duration::from_secs(33);\n",
        "src/client.rs": "pub fn make() -> reqwest::Client {\n    reqwest::Client::builder().read_timeout(super::limits::READ).build().unwrap()\n}\n",
    }
    for manifest in (True, False):
        root = crate(tmp_path / str(manifest), files, manifest=manifest)
        found = check(root / "src/client.rs", select=("LL302",))
        assert [head(v) for v in found] == ["reqwest::Client read timeout 33 s"]


def test_an_external_crate_path_is_unknown(tmp_path: Path) -> None:
    root = crate(tmp_path, {
        "src/lib.rs": "mod client;\n",
        "src/client.rs": """
            use other_crate::config::TIMEOUT;
            pub fn make() -> reqwest::Client {
                other_crate::tune(reqwest::Client::builder().timeout(TIMEOUT)).build().unwrap()
            }
        """,
    })
    assert {v.code for v in check(root / "src/client.rs", select=("LL3", "LL4"))} == set()


def test_a_macro_whose_body_is_a_block(tmp_path: Path) -> None:
    code = """
        use std::time::Duration;
        pub fn events() -> impl futures::Stream<Item = String> {
            async_stream::stream! {
                let client = reqwest::Client::builder()
                    .read_timeout(Duration::from_secs(15))
                    .build()
                    .unwrap();
                yield client.get("https://example.com").send().await.unwrap().text().await.unwrap();
            }
        }
        pub fn values() -> serde_json::Value { serde_json::json!({ "builder": 1 }) }
    """
    found = lint(textwrap.dedent(code), path="events.rs", select=("LL302",), streaming_scope="all")
    assert [(v.line, head(v)) for v in found] == [(6, "reqwest::Client read timeout 15 s")]


def test_static_macros(tmp_path: Path) -> None:
    code = """
        use std::time::Duration;
        lazy_static::lazy_static! {
            static ref READ: Duration = Duration::from_secs(8);
            pub static ref CLIENT: reqwest::Client = reqwest::Client::builder()
                .read_timeout(*READ)
                .build()
                .unwrap();
        }
        thread_local! {
            static LOCAL: reqwest::blocking::Client = reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(9))
                .build()
                .unwrap();
        }
    """
    found = lint(textwrap.dedent(code), path="statics.rs", select=("LL302",), streaming_scope="all")
    assert [(v.line, head(v)) for v in found] == [
        (6, "reqwest::Client read timeout 8 s"), (12, "reqwest::blocking::Client read timeout 9 s")]


def test_the_result_is_keyed_on_the_files_it_read(tmp_path: Path) -> None:
    root = crate(tmp_path, {
        "src/lib.rs": "pub mod config;\npub mod net;\n",
        "src/config.rs": CONFIG_RS,
        "src/net.rs": """
            use crate::config::HttpConfig;
            pub fn make() -> reqwest::Client {
                HttpConfig::default().apply_to_builder(reqwest::Client::builder()).build().unwrap()
            }
        """,
    })
    lock = tmp_path / "Cargo.lock"
    lock.write_text(cargo_lock("0.12.28"), encoding="utf-8")
    settings = Settings(root=tmp_path, select=("LL302", "LL201"))
    cache = tmp_path / ".cache"
    target = root / "src/net.rs"

    def run() -> list[str]:
        return [head(v) for v in check_paths([target], settings, cache_dir=cache).violations]

    assert run() == ["reqwest::Client total timeout 45 s"]
    assert run() == ["reqwest::Client total timeout 45 s"]  # from the cache
    config = root / "src/config.rs"
    config.write_text(config.read_text(encoding="utf-8").replace("= 45;", "= 50;"), encoding="utf-8")
    os.utime(config, ns=(1, 1))  # an old stat: only the content can tell
    assert run() == ["reqwest::Client total timeout 50 s"]
    lock.write_text(cargo_lock("0.12.21"), encoding="utf-8")
    assert len(run()) == 2  # the lock changed: now no keepalive by default


WRAPPER_RS = """
    pub struct ClientBuilder(::reqwest::ClientBuilder);
    pub struct Client { inner: ::reqwest::Client }
    impl Client {
        pub fn builder() -> ClientBuilder {
            ClientBuilder(::reqwest::Client::builder())
        }
    }
    impl ClientBuilder {
        pub fn new() -> Self {
            Self(::reqwest::ClientBuilder::new())
        }
        pub fn prepare<F>(self, f: F) -> ClientBuilder
        where
            F: FnOnce(::reqwest::ClientBuilder) -> ::reqwest::ClientBuilder,
        {
            Self(f(self.0))
        }
        pub fn build_with_policy(self, policy: u8) -> Result<Client, ::reqwest::Error> {
            let builder = self.0.redirect(::reqwest::redirect::Policy::none());
            Ok(Client { inner: builder.build()? })
        }
    }
"""


def test_a_wrapper_crate_of_the_workspace(tmp_path: Path) -> None:
    """A path dependency (directly or through ``workspace = true``) wrapping reqwest's builder in a
    tuple struct, configured through a closure: the client is the caller's."""
    (tmp_path / "Cargo.toml").write_text(
        '[workspace]\nmembers = ["crates/*"]\n\n[workspace.dependencies]\nnet-client = { path = "crates/net-client" }\n',
        encoding="utf-8")
    crate(tmp_path / "crates" / "net-client", {"src/lib.rs": "pub mod reqwest;\n", "src/reqwest.rs": WRAPPER_RS})
    for name, dependency in (("direct", 'net-client = { path = "../net-client" }'),
                             ("workspace", "net-client = { workspace = true }")):
        app = crate(tmp_path / "crates" / name, {
            "src/lib.rs": """
                use std::time::Duration;
                pub fn bare() -> net_client::reqwest::Client {
                    net_client::reqwest::Client::builder().build_with_policy(0).unwrap()
                }
                pub fn tuned() -> net_client::reqwest::Client {
                    net_client::reqwest::ClientBuilder::new()
                        .prepare(|inner| inner.connect_timeout(Duration::from_secs(45)).timeout(Duration::from_secs(20)))
                        .build_with_policy(0)
                        .unwrap()
                }
            """,
        })
        (app / "Cargo.toml").write_text(MANIFEST + f"\n[dependencies]\n{dependency}\n", encoding="utf-8")
        found = check(app / "src/lib.rs", select=("LL3", "LL4"))
        assert [(v.line, v.code, head(v)) for v in found] == [
            (4, "LL301", "reqwest::Client read timeout and total timeout are disabled"),
            (4, "LL401", "reqwest::Client connect timeout"),
            (8, "LL402", "reqwest::Client connect timeout 45 s"),
            (8, "LL302", "reqwest::Client total timeout 20 s"),
        ], name
    # the wrapper's own check: a builder from elsewhere, nothing known
    assert check(tmp_path / "crates" / "net-client" / "src" / "reqwest.rs") == []


def test_a_closure_applied_to_the_builder() -> None:
    code = """
        use std::time::Duration;
        use reqwest::{Client, ClientBuilder};
        fn with<F: FnOnce(ClientBuilder) -> ClientBuilder>(f: F) -> Client {
            f(Client::builder().pool_idle_timeout(None)).build().unwrap()
        }
        pub fn make() -> Client {
            with(|b| b.read_timeout(Duration::from_secs(12)))
        }
    """
    found = lint(textwrap.dedent(code), path="closure.rs", select=("LL302", "LL101"), streaming_scope="all")
    assert sorted((v.code, head(v)) for v in found) == [
        ("LL101", "reqwest::Client pool idle expiry"), ("LL302", "reqwest::Client read timeout 12 s")]
    assert "unbounded" in found[0].message
