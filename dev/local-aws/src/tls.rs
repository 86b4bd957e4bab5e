//! AWS's endpoints behind TLS, on loopback:
//!
//! - [`TestCa`]: a certificate authority made for a run with `openssl`, and a server certificate
//!   for `localhost` and `127.0.0.1` that it signed, for [`crate::Moto::start_tls`]. A client
//!   trusts it through `SSL_CERT_FILE` ([`TestCa::bundle_with_system_roots`] appends it to the
//!   system's bundle, so that loading the roots costs what it costs on Lambda).

use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A certificate authority and a server certificate it signed, in a folder of their own.
#[derive(Debug)]
pub struct TestCa {
    dir: PathBuf,
}

/// The CA: a self-signed RSA 2048 certificate.
const CA: &[&str] = &[
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=cv-analytics test CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
];
/// The server's key and its certificate request for `localhost`.
const SERVER_REQUEST: &[&str] = &[
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=localhost",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
];
/// The server's certificate, signed by the CA, with the extensions of `server.ext`.
const SERVER_CERTIFICATE: &[&str] = &[
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    "server.ext",
    "-out",
    "server.pem",
];

/// Runs `openssl` with `args` in `dir`.
fn openssl(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    let output = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .context("cannot run openssl")?;
    if output.status.success() {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "openssl {}: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

impl TestCa {
    /// Makes the authority and the certificate for `localhost` and `127.0.0.1` in `dir` (made
    /// if missing), with `openssl`.
    pub fn create(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
        std::fs::write(
            dir.join("server.ext"),
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n\
             extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
        .with_context(|| format!("{}", dir.display()))?;
        // The shapes AWS's endpoints present: an RSA 2048 chain.
        for step in [CA, SERVER_REQUEST, SERVER_CERTIFICATE] {
            openssl(dir, step)?;
        }
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    pub(crate) fn server_certificate(&self) -> PathBuf {
        self.dir.join("server.pem")
    }

    pub(crate) fn server_key(&self) -> PathBuf {
        self.dir.join("server.key")
    }

    /// The system's root bundle with the test authority appended, written next to it: what
    /// `SSL_CERT_FILE` points at, so a client loads as many roots as it would on Lambda and
    /// also trusts the test server.
    pub fn bundle_with_system_roots(&self) -> anyhow::Result<(PathBuf, usize)> {
        let system = [
            "/etc/ssl/certs/ca-certificates.crt",
            "/etc/pki/tls/certs/ca-bundle.crt",
        ]
        .into_iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .context("no system root bundle (ca-certificates) on this machine")?;
        let ca = std::fs::read_to_string(self.ca()).context("test CA")?;
        let bundle = self.dir.join("bundle.pem");
        std::fs::write(&bundle, format!("{system}\n{ca}"))
            .with_context(|| format!("{}", bundle.display()))?;
        let roots = system.matches("-----BEGIN CERTIFICATE-----").count();
        Ok((bundle, roots))
    }
}

/// A TLS front for a plain-HTTP emulator, keeping client connections open as AWS's endpoints
/// do (moto answers every request with `Connection: close`, so behind its own TLS every call
/// would pay a handshake, which a real function does only once per connection).
///
/// Each request read from a client connection is sent to the emulator on a connection of its
/// own, and the answer is returned with `Connection: keep-alive`. The handshakes' server side
/// runs here, outside any function's CPU share, as AWS's does.
#[derive(Debug)]
pub struct TlsFront {
    pub endpoint: String,
    /// Connections accepted and TLS handshakes completed so far.
    handshakes: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl TlsFront {
    /// Listens on a free loopback port with `ca`'s server certificate, in front of `upstream`
    /// (`http://host:port`).
    pub fn start(ca: &TestCa, upstream: &str) -> anyhow::Result<Self> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};

        let chain = CertificateDer::pem_file_iter(ca.server_certificate())
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .context("server certificate")?;
        let key = PrivateKeyDer::from_pem_file(ca.server_key()).context("server key")?;
        let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("server certificate")?;
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
        let upstream = upstream
            .strip_prefix("http://")
            .context("the upstream must be http://host:port")?
            .to_owned();
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        listener.set_nonblocking(true)?;
        let handshakes = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = handshakes.clone();
        std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                while let Ok((stream, _)) = listener.accept().await {
                    let (acceptor, upstream, counted) =
                        (acceptor.clone(), upstream.clone(), counted.clone());
                    tokio::spawn(async move {
                        let _ = stream.set_nodelay(true);
                        if let Ok(tls) = acceptor.accept(stream).await {
                            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            serve_front(tls, &upstream).await;
                        }
                    });
                }
            });
        });
        Ok(Self {
            endpoint: format!("https://localhost:{port}"),
            handshakes,
        })
    }

    /// TLS handshakes completed so far (one per client connection).
    pub fn handshakes(&self) -> usize {
        self.handshakes.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Serves one client connection: request after request, each passed to `upstream`.
async fn serve_front<S>(stream: S, upstream: &str)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::{AsyncWriteExt, BufReader};

    let mut client = BufReader::new(stream);
    loop {
        let Some((head, body)) = read_request(&mut client).await else {
            return;
        };
        let Some(answer) = forward(upstream, &head, &body).await else {
            return;
        };
        let Some(rewritten) = kept_alive(&answer) else {
            return;
        };
        let inner = client.get_mut();
        if inner.write_all(&rewritten).await.is_err() || inner.flush().await.is_err() {
            return;
        }
    }
}

/// The next request on the client's connection: its head, told to close the upstream
/// connection after the answer (so that its end marks the answer's end), and its body by
/// Content-Length (the SDK's requests have one). `None` when the client is gone.
async fn read_request<R>(client: &mut R) -> Option<(Vec<u8>, Vec<u8>)>
where
    R: tokio::io::AsyncBufRead + Unpin,
{
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};

    let mut head = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = Vec::new();
        match client.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line).to_ascii_lowercase();
        if let Some(value) = text.strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        let end = line == b"\r\n";
        if !text.starts_with("connection:") {
            head.extend_from_slice(&line);
        }
        if end {
            break;
        }
    }
    let blank = head.len().saturating_sub(2);
    head.splice(blank..blank, b"Connection: close\r\n".iter().copied());
    let mut body = vec![0; length];
    client.read_exact(&mut body).await.ok()?;
    Some((head, body))
}

/// Sends a request to `upstream` on a connection of its own, and reads the whole answer.
async fn forward(upstream: &str, head: &[u8], body: &[u8]) -> Option<Vec<u8>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut moto = tokio::net::TcpStream::connect(upstream).await.ok()?;
    let mut answer = Vec::new();
    moto.write_all(head).await.ok()?;
    moto.write_all(body).await.ok()?;
    moto.read_to_end(&mut answer).await.ok()?;
    Some(answer)
}

/// The answer with its connection kept alive for the client.
fn kept_alive(answer: &[u8]) -> Option<Vec<u8>> {
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let (answer_head, answer_body) = answer.split_at(split + 4);
    let mut rewritten: Vec<u8> = String::from_utf8_lossy(answer_head)
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("connection:"))
        .flat_map(|l| [l, "\r\n"])
        .collect::<String>()
        .into_bytes();
    rewritten.extend_from_slice(b"Connection: keep-alive\r\n\r\n");
    rewritten.extend_from_slice(answer_body);
    Some(rewritten)
}
