//! moto_server answering the ECR API, this process's AWS SDK pointed at it, and the set-up
//! every ECR test shares (moto behind a proxy, a registry that takes moto's token).

use std::process::{Child, Command, Stdio};

use super::*;

/// moto_server on a free loopback port.
pub struct Moto {
    pub endpoint: String,
    child: Child,
}

impl Moto {
    pub fn start() -> Moto {
        let port = free_port();
        let mut child = Command::new(&services().moto_server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server (scripts/services.sh installs it)");
        let addr = format!("127.0.0.1:{port}");
        wait_http(&addr, "/moto-api/", &mut child, "moto_server");
        Moto {
            endpoint: format!("http://{addr}"),
            child,
        }
    }
}

/// Points this process's AWS SDK at `endpoint` (moto) with dummy credentials and no other
/// source of configuration.
///
/// # Safety
/// Changes the environment: call it only in a test binary with a single test, before any
/// other thread (the SDK's included) reads the environment.
pub unsafe fn use_fake_aws(endpoint: &str) {
    unsafe {
        std::env::set_var("AWS_ENDPOINT_URL_ECR", endpoint);
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::remove_var("AWS_SESSION_TOKEN");
        std::env::remove_var("AWS_PROFILE");
        std::env::set_var("AWS_REGION", "us-east-1");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::set_var("AWS_CONFIG_FILE", "/nonexistent/archlens-test/config");
        std::env::set_var(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/archlens-test/credentials",
        );
    }
}

/// An ECR client on the environment set by [`use_fake_aws`], with the runtime that drives it.
pub fn ecr_client() -> (tokio::runtime::Runtime, aws_sdk_ecr::Client) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let ecr = rt.block_on(async {
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        aws_sdk_ecr::Client::new(&conf)
    });
    (rt, ecr)
}

/// The user and password of ECR's `GetAuthorizationToken` (base64 of `AWS:<password>`):
/// the tests give the real registry this htpasswd entry, so ECR's Basic auth runs for real.
pub fn ecr_login(rt: &tokio::runtime::Runtime, ecr: &aws_sdk_ecr::Client) -> (String, String) {
    use base64::Engine as _;
    let token = rt
        .block_on(ecr.get_authorization_token().send())
        .expect("moto GetAuthorizationToken");
    let token = token.authorization_data()[0]
        .authorization_token()
        .expect("token")
        .to_string();
    let decoded = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(token)
            .expect("base64"),
    )
    .expect("utf8");
    let (user, password) = decoded.split_once(':').expect("user:password");
    (user.to_string(), password.to_string())
}

/// The archlens binary as a user runs it against fake ECR: `config` (remapping the ECR host
/// to a test registry), its ECR API at `ecr_endpoint` (moto, or a proxy before it), dummy
/// credentials, and a home of its own under `home` (no AWS, Docker or archlens files of
/// this machine). Add the arguments; `--no-cache` is given.
pub fn archlens_on_fake_ecr(
    config: &std::path::Path,
    ecr_endpoint: &str,
    home: &std::path::Path,
) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_archlens"));
    cmd.arg("--config")
        .arg(config)
        .arg("--no-cache")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("DOCKER_CONFIG", home.join("docker"))
        .env("AWS_ENDPOINT_URL_ECR", ecr_endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", home.join("aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("ARCHLENS_CONFIG");
    cmd
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The ECR set-up the moto tests share: moto behind a [`Proxy`] (`api`, to inject what moto
/// lacks), this process's AWS SDK pointed at that proxy, a client with its runtime, and a
/// docker-registry whose htpasswd user `AWS` has the password of moto's token, so ECR's
/// Basic auth runs for real. The registry host of account 123456789012 in us-east-1 is
/// [`ECR_HOST`]; [`FakeEcr::options`] remaps it to a registry address.
pub struct FakeEcr {
    pub rt: tokio::runtime::Runtime,
    pub ecr: aws_sdk_ecr::Client,
    pub api: Proxy,
    pub reg: Registry,
    /// The token's user (`AWS`) and password.
    pub user: String,
    pub password: String,
    moto: Moto,
}

/// moto's account in its default region, as an ECR registry host.
pub const ECR_HOST: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

impl FakeEcr {
    /// # Safety
    /// As [`use_fake_aws`]: only in a test binary with a single test, before any other
    /// thread reads the environment.
    pub unsafe fn start() -> FakeEcr {
        let moto = Moto::start();
        let api = Proxy::start(moto.endpoint.trim_start_matches("http://"));
        // SAFETY: passed on to the caller.
        unsafe { use_fake_aws(&format!("http://{}", api.addr)) };
        let (rt, ecr) = ecr_client();
        let (user, password) = ecr_login(&rt, &ecr);
        let reg = Registry::start(Some(("AWS", &password)));
        FakeEcr {
            rt,
            ecr,
            api,
            reg,
            user,
            password,
            moto,
        }
    }

    /// Registry options that reach [`ECR_HOST`] at `location` (the registry, or a proxy in
    /// front of it), with no Docker credentials of this machine.
    pub fn options(location: &str) -> archlens::source::registry::RegistryOptions {
        archlens::source::registry::RegistryOptions {
            docker_config: Some("/nonexistent/archlens-test/config.json".into()),
            config: archlens::config::Config {
                registries: vec![archlens::config::RegistryEntry {
                    prefix: ECR_HOST.into(),
                    location: Some(location.to_string()),
                    insecure: true,
                }],
                ..archlens::config::Config::default()
            },
            ..Default::default()
        }
    }

    /// CreateRepository.
    pub fn create(&self, repository: &str) {
        self.rt
            .block_on(
                self.ecr
                    .create_repository()
                    .repository_name(repository)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("create {repository}: {e:?}"));
    }

    /// PutImage of `blob` as ECR stores it (digest given: moto computes index digests
    /// wrongly), tagged or not.
    pub fn put(&self, repository: &str, blob: &Blob, tag: Option<&str>) {
        let manifest = String::from_utf8(blob.bytes.clone()).expect("manifest is UTF-8");
        self.rt
            .block_on(
                self.ecr
                    .put_image()
                    .repository_name(repository)
                    .image_manifest(manifest)
                    .image_manifest_media_type(&blob.media_type)
                    .image_digest(&blob.digest)
                    .set_image_tag(tag.map(str::to_string))
                    .send(),
            )
            .unwrap_or_else(|e| panic!("put_image {} in {repository}: {e:?}", blob.digest));
    }
}
