// tls_engine: non-blocking reads and writes, closes, failed handshakes and their causes, client
// certificates; then real clients (curl, openssl s_client, python3 ssl) over loopback.
#include <catch2/catch.hpp>

#include "tls_support.hpp"

using namespace tls_test;

namespace {

std::shared_ptr<const rodeo::tls_context> self_signed_context(
    const std::function<void(rodeo::tls_options&)>& tweak = {}) {
  rodeo::tls_options o;
  o.certificate = rodeo::make_self_signed_certificate({"localhost", "127.0.0.1"});
  if (tweak) tweak(o);
  return std::make_shared<const rodeo::tls_context>(o);
}

// Moves `data` from the client to the server engine, in turns, as the socket buffers allow.
std::string client_to_server(pair_conn& c, const std::string& data) {
  std::string got;
  size_t sent = 0;
  std::vector<char> buf(16384);
  for (int turns = 0; turns < 100000 && got.size() < data.size(); ++turns) {
    if (sent < data.size()) {
      size_t n = 0;
      if (SSL_write_ex(c.client, data.data() + sent, data.size() - sent, &n) == 1) sent += n;
    }
    for (;;) {
      auto r = c.server->read(buf.data(), buf.size());
      if (r.status != rodeo::tls_status::done) {
        REQUIRE(r.status == rodeo::tls_status::want_read);
        break;
      }
      got.append(buf.data(), r.bytes);
    }
  }
  return got;
}

std::string server_to_client(pair_conn& c, const std::string& data, int* want_writes) {
  std::string got;
  size_t sent = 0;
  std::vector<char> buf(16384);
  for (int turns = 0; turns < 100000 && got.size() < data.size(); ++turns) {
    while (sent < data.size()) {
      auto r = c.server->write(data.data() + sent, data.size() - sent);
      if (r.status == rodeo::tls_status::want_write) {
        ++*want_writes;
        break;
      }
      REQUIRE(r.status == rodeo::tls_status::done);
      sent += r.bytes;
    }
    size_t n = 0;
    while (SSL_read_ex(c.client, buf.data(), buf.size(), &n) == 1) got.append(buf.data(), n);
  }
  return got;
}

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7) % 26);
  return s;
}

}  // namespace

TEST_CASE("a read before any data wants to read, 1 MiB goes both ways through full buffers") {
  pair_conn c(self_signed_context());
  REQUIRE(c.handshake());
  CHECK(c.server->handshake_done());
  char b[16];
  CHECK(c.server->read(b, sizeof b).status == rodeo::tls_status::want_read);
  auto up = pattern(1 << 20);
  CHECK(client_to_server(c, up) == up);
  int want_writes = 0;
  auto down = pattern((1 << 20) + 13);
  CHECK(server_to_client(c, down, &want_writes) == down);
  CHECK(want_writes > 0);  // the socketpair's buffer filled: partial writes, then want_write
  CHECK(c.server->write(b, 0).status == rodeo::tls_status::done);
}

TEST_CASE("close_notify and a bare EOF after the handshake both read as closed") {
  SECTION("close_notify") {
    pair_conn c(self_signed_context());
    REQUIRE(c.handshake());
    SSL_shutdown(c.client);
    char b[16];
    CHECK(c.server->read(b, sizeof b).status == rodeo::tls_status::closed);
    CHECK(c.server->shutdown() == rodeo::tls_status::done);
  }
  SECTION("EOF without close_notify") {
    pair_conn c(self_signed_context());
    REQUIRE(c.handshake());
    ::shutdown(c.fds[0], SHUT_WR);
    char b[16];
    CHECK(c.server->read(b, sizeof b).status == rodeo::tls_status::closed);
  }
}

TEST_CASE("failed handshakes report a stable cause") {
  auto ctx = self_signed_context();
  auto cause_of = [&](const std::string& bytes, bool close_after) {
    int fds[2];
    ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
    set_nonblocking(fds[1]);
    rodeo::tls_engine e(ctx, fds[1]);
    if (!bytes.empty()) REQUIRE(::send(fds[0], bytes.data(), bytes.size(), 0) > 0);
    if (close_after) ::shutdown(fds[0], SHUT_WR);
    auto s = e.handshake();
    std::string out =
        s == rodeo::tls_status::error ? e.error() : "status " + std::to_string(int(s));
    ::close(fds[0]);
    ::close(fds[1]);
    return out;
  };
  CHECK(cause_of("GET / HTTP/1.1\r\nhost: x\r\n\r\n", false) == "http request");
  CHECK(cause_of(std::string("\x16\x03\x01\x00\x05hello", 10), false) != "status 1");
  CHECK(cause_of("", true) == "unexpected eof while reading");
  CHECK(cause_of(std::string("\x16\x03", 2), true) == "unexpected eof while reading");
  CHECK(cause_of("", false) == "status 1");  // nothing yet: want_read
}

TEST_CASE("client certificates: verify_peer with a CA") {
  temp_dir dir;
  test_ca ca(dir);
  ca.issue("client", "alice");
  auto with_cert = [&](const std::string& cert, const std::string& key) {
    return [cert, key](SSL_CTX*, SSL* ssl) {
      REQUIRE(SSL_use_certificate_file(ssl, cert.c_str(), SSL_FILETYPE_PEM) == 1);
      REQUIRE(SSL_use_PrivateKey_file(ssl, key.c_str(), SSL_FILETYPE_PEM) == 1);
    };
  };
  auto ctx = self_signed_context([&](rodeo::tls_options& o) {
    o.verify = rodeo::tls_verify::verify_peer;
    o.cacertfile = dir / "ca.pem";
  });

  SECTION("a certificate the CA signed is accepted and available as DER") {
    pair_conn c(ctx, with_cert(dir / "client.pem", dir / "client.key"));
    REQUIRE(c.handshake());
    auto der = c.server->peer_certificate();
    REQUIRE_FALSE(der.empty());
    auto* p = reinterpret_cast<const unsigned char*>(der.data());
    X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
    REQUIRE(x != nullptr);
    CHECK(common_name(x) == "alice");
    X509_free(x);
  }
  SECTION("a certificate of another issuer is refused") {
    auto rogue = rodeo::make_self_signed_certificate({"mallory"});
    pair_conn c(ctx,
                with_cert(dir.file("rogue.pem", rogue.cert), dir.file("rogue.key", rogue.key)));
    CHECK_FALSE(c.handshake());
    CHECK(c.server->error() == "certificate verify failed");
  }
  SECTION("no certificate: accepted without one, unless fail_if_no_peer_cert") {
    pair_conn c(ctx);
    REQUIRE(c.handshake());
    CHECK(c.server->peer_certificate().empty());
    auto strict = self_signed_context([&](rodeo::tls_options& o) {
      o.verify = rodeo::tls_verify::verify_peer;
      o.cacertfile = dir / "ca.pem";
      o.fail_if_no_peer_cert = true;
    });
    pair_conn d(strict);
    CHECK_FALSE(d.handshake());
    CHECK(d.server->error() == "peer did not return a certificate");
  }
  SECTION("CAs given as PEM text") {
    std::ifstream f(dir / "ca.pem");
    std::string pem((std::istreambuf_iterator<char>(f)), {});
    auto mem = self_signed_context([&](rodeo::tls_options& o) {
      o.verify = rodeo::tls_verify::verify_peer;
      o.cacerts = pem;
    });
    pair_conn c(mem, with_cert(dir / "client.pem", dir / "client.key"));
    REQUIRE(c.handshake());
    CHECK_FALSE(c.server->peer_certificate().empty());
  }
}

TEST_CASE("curl verifies the self-signed certificate by name and gets an answer over TLS") {
  temp_dir dir;
  auto cert = rodeo::make_self_signed_certificate({"localhost", "127.0.0.1"});
  rodeo::tls_options o;
  o.certificate = cert;
  one_shot_server srv(std::make_shared<const rodeo::tls_context>(o), [](rodeo::tls_engine& e) {
    return std::string(e.alpn()) + " " + std::string(e.version());
  });
  auto r = run("curl -s --max-time 10 --http1.1 --cacert " + dir.file("ca.pem", cert.cert) +
               " --resolve localhost:" + std::to_string(srv.port) +
               ":127.0.0.1 https://localhost:" + std::to_string(srv.port) + "/");
  srv.join();
  CHECK(r.status == 0);
  CHECK(r.out == "http/1.1 TLSv1.3");
  CHECK(srv.status == rodeo::tls_status::done);
}

TEST_CASE("openssl s_client sees ALPN h2 and the SNI host's certificate") {
  rodeo::tls_options o;
  o.certificate = rodeo::make_self_signed_certificate({"localhost"});
  o.sni_hosts.push_back({"sni.test", rodeo::make_self_signed_certificate({"sni.test"})});
  one_shot_server srv(std::make_shared<const rodeo::tls_context>(o),
                      [](rodeo::tls_engine& e) { return std::string(e.server_name()); });
  auto r =
      run("printf 'GET / HTTP/1.1\\r\\nhost: sni.test\\r\\n\\r\\n' | timeout 10 openssl s_client "
          "-connect 127.0.0.1:" +
          std::to_string(srv.port) + " -servername sni.test -alpn h2,http/1.1 -ign_eof 2>&1");
  srv.join();
  CHECK(r.out.find("ALPN protocol: h2") != std::string::npos);
  CHECK(r.out.find("subject=O = Rodeo self-signed, CN = sni.test") != std::string::npos);
  CHECK(r.out.find("\r\n\r\nsni.test") != std::string::npos);
}

TEST_CASE("python3's ssl module talks TLS 1.2 with an AEAD cipher when it caps the version") {
  rodeo::tls_options o;
  o.certificate = rodeo::make_self_signed_certificate({"localhost"});
  one_shot_server srv(std::make_shared<const rodeo::tls_context>(o), [](rodeo::tls_engine& e) {
    return std::string(e.version()) + " " + std::string(e.cipher());
  });
  auto script =
      "import socket, ssl\n"
      "c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n"
      "c.check_hostname = False\n"
      "c.verify_mode = ssl.CERT_NONE\n"
      "c.maximum_version = ssl.TLSVersion.TLSv1_2\n"
      "s = c.wrap_socket(socket.create_connection(('127.0.0.1', " +
      std::to_string(srv.port) +
      "), timeout=10))\n"
      "s.sendall(b'GET / HTTP/1.1\\r\\nhost: x\\r\\n\\r\\n')\n"
      "data = b''\n"
      "while True:\n"
      "    try:\n"
      "        chunk = s.recv(4096)\n"
      "    except ssl.SSLZeroReturnError:\n"
      "        break\n"
      "    if not chunk: break\n"
      "    data += chunk\n"
      "print(data.split(b'\\r\\n\\r\\n', 1)[1].decode(), end='')\n";
  temp_dir dir;
  auto r = run("/usr/bin/python3 " + dir.file("client.py", script));
  srv.join();
  CHECK(r.status == 0);
  CHECK(r.out == "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256");
}

TEST_CASE("a client that gives up mid-handshake is a failed handshake, not a hang") {
  rodeo::tls_options o;
  o.certificate = rodeo::make_self_signed_certificate({"localhost"});
  one_shot_server srv(std::make_shared<const rodeo::tls_context>(o),
                      [](rodeo::tls_engine&) { return std::string(); });
  {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(srv.port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    ::send(fd, "\x16\x03\x01\x00\xff", 5, 0);  // a record header promising 255 bytes, then EOF
    ::close(fd);
  }
  srv.join();
  CHECK(srv.status == rodeo::tls_status::error);
  CHECK(srv.error == "unexpected eof while reading");
}
