// tls_context: certificates from memory and files, SNI, ALPN, versions, configuration errors,
// reloading; tls_self_signed. Handshakes run over a socketpair against an OpenSSL client.
#include <catch2/catch.hpp>

#include "tls_support.hpp"

using namespace tls_test;

namespace {

rodeo::tls_options options_for(const std::vector<std::string>& names) {
  rodeo::tls_options o;
  o.certificate = rodeo::make_self_signed_certificate(names);
  return o;
}

std::shared_ptr<const rodeo::tls_context> context(const rodeo::tls_options& o) {
  return std::make_shared<const rodeo::tls_context>(o);
}

std::string served_cn(pair_conn& c) {
  X509* cert = SSL_get1_peer_certificate(c.client);
  if (!cert) return "";
  auto cn = common_name(cert);
  X509_free(cert);
  return cn;
}

auto sni(const char* name) {
  return [name](SSL_CTX*, SSL* ssl) {
    SSL_set_tlsext_host_name(ssl, name);
  };
}

auto alpn(std::string wire) {
  return [wire](SSL_CTX*, SSL* ssl) {
    SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(wire.data()),
                        static_cast<unsigned>(wire.size()));
  };
}

}  // namespace

TEST_CASE("make_self_signed_certificate makes a key and a certificate for its names") {
  auto cert = rodeo::make_self_signed_certificate({"localhost", "127.0.0.1"});
  CHECK(cert.cert.starts_with("-----BEGIN CERTIFICATE-----"));
  CHECK(cert.key.starts_with("-----BEGIN PRIVATE KEY-----"));
  temp_dir dir;
  auto text = run("openssl x509 -noout -text -in " + dir.file("c.pem", cert.cert)).out;
  CHECK(text.find("DNS:localhost, IP Address:127.0.0.1") != std::string::npos);
  CHECK(text.find("CN = localhost") != std::string::npos);
  CHECK(text.find("ecdsa-with-SHA256") != std::string::npos);
  CHECK_THROWS_AS(rodeo::make_self_signed_certificate({}), rodeo::tls_error);
}

TEST_CASE("a context from an in-memory certificate completes a handshake with TLS 1.3") {
  pair_conn c(context(options_for({"localhost"})));
  REQUIRE(c.handshake());
  CHECK(c.server->version() == "TLSv1.3");
  CHECK(served_cn(c) == "localhost");
}

TEST_CASE("certfile and keyfile load a chain: the client receives leaf and CA") {
  temp_dir dir;
  test_ca ca(dir);
  ca.issue("server", "chain.test");
  std::ifstream leaf(dir / "server.pem"), root(dir / "ca.pem");
  std::string chain((std::istreambuf_iterator<char>(leaf)), {});
  chain.append((std::istreambuf_iterator<char>(root)), {});
  rodeo::tls_options o;
  o.certificate.certfile = dir.file("chain.pem", chain);
  o.certificate.keyfile = dir / "server.key";
  pair_conn c(context(o));
  REQUIRE(c.handshake());
  STACK_OF(X509)* sent = SSL_get_peer_cert_chain(c.client);
  REQUIRE(sent != nullptr);
  CHECK(sk_X509_num(sent) == 2);
  CHECK(served_cn(c) == "chain.test");

  SECTION("the same chain and key as PEM text in memory") {
    rodeo::tls_options m;
    m.certificate.cert = chain;
    std::ifstream key(dir / "server.key");
    m.certificate.key.assign((std::istreambuf_iterator<char>(key)), {});
    pair_conn d(context(m));
    REQUIRE(d.handshake());
    CHECK(sk_X509_num(SSL_get_peer_cert_chain(d.client)) == 2);
  }
}

TEST_CASE("a configuration OpenSSL refuses is a tls_error naming the option") {
  auto what = [](const rodeo::tls_options& o) {
    try {
      rodeo::tls_context ctx(o);
    } catch (const rodeo::tls_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  rodeo::tls_options none;
  CHECK(what(none).starts_with("certificate: no certificate"));
  rodeo::tls_options missing;
  missing.certificate.certfile = "/nonexistent/cert.pem";
  missing.certificate.keyfile = "/nonexistent/key.pem";
  CHECK(what(missing).starts_with("certificate certfile /nonexistent/cert.pem: "));
  auto mismatch = options_for({"a"});
  mismatch.certificate.key = rodeo::make_self_signed_certificate({"b"}).key;
  CHECK(what(mismatch) == "certificate key: key values mismatch");
  auto garbage = options_for({"a"});
  garbage.certificate.cert = "not a certificate";
  CHECK(what(garbage).starts_with("certificate cert: "));
  auto ciphers = options_for({"a"});
  ciphers.ciphers = "NO-SUCH-CIPHER";
  CHECK(what(ciphers).starts_with("ciphers: "));
  auto verify = options_for({"a"});
  verify.verify = rodeo::tls_verify::verify_peer;
  CHECK(what(verify) == "verify_peer needs cacertfile or cacerts");
  auto versions = options_for({"a"});
  versions.min_version = rodeo::tls_version::tls1_3;
  versions.max_version = rodeo::tls_version::tls1_2;
  CHECK(what(versions) == "min_version is above max_version");
  auto alpn_name = options_for({"a"});
  alpn_name.alpn_preferred_protocols = {""};
  CHECK(what(alpn_name).starts_with("alpn_preferred_protocols: "));
  auto host = options_for({"a"});
  host.sni_hosts.push_back({"b.test", {}});
  CHECK(what(host).starts_with("sni_hosts b.test: no certificate"));
}

TEST_CASE("SNI picks the certificate of the host, wildcards match one label") {
  auto o = options_for({"default.test"});
  o.sni_hosts.push_back(
      {"API.Example.com", rodeo::make_self_signed_certificate({"api.example.com"})});
  o.sni_hosts.push_back({"*.example.com", rodeo::make_self_signed_certificate({"*.example.com"})});
  auto ctx = context(o);
  auto cn_for = [&](const char* name) {
    pair_conn c(ctx, name ? std::function<void(SSL_CTX*, SSL*)>(sni(name)) : nullptr);
    REQUIRE(c.handshake());
    if (name) CHECK(c.server->server_name() == name);
    return served_cn(c);
  };
  CHECK(cn_for("api.example.com") == "api.example.com");
  CHECK(cn_for("api.EXAMPLE.com") == "api.example.com");
  CHECK(cn_for("www.example.com") == "*.example.com");
  CHECK(cn_for("a.b.example.com") == "default.test");
  CHECK(cn_for("example.com") == "default.test");
  CHECK(cn_for("other.test") == "default.test");
  CHECK(cn_for(nullptr) == "default.test");
}

TEST_CASE("ALPN picks the server's first protocol the client offers, or none") {
  auto ctx = context(options_for({"localhost"}));
  auto selected = [&](const std::string& wire) {
    pair_conn c(ctx, wire.empty() ? nullptr : std::function<void(SSL_CTX*, SSL*)>(alpn(wire)));
    REQUIRE(c.handshake());
    return std::string(c.server->alpn());
  };
  CHECK(selected(std::string("\x08http/1.1\x02h2", 12)) == "h2");
  CHECK(selected(std::string("\x08http/1.1", 9)) == "http/1.1");
  CHECK(selected(std::string("\x06spdy/3", 7)).empty());
  CHECK(selected("").empty());

  SECTION("alpn_preferred_protocols sets the order") {
    auto o = options_for({"localhost"});
    o.alpn_preferred_protocols = {"http/1.1", "h2"};
    pair_conn c(context(o), alpn(std::string("\x02h2\x08http/1.1", 12)));
    REQUIRE(c.handshake());
    CHECK(c.server->alpn() == "http/1.1");
  }
}

TEST_CASE("only TLS 1.2 and 1.3 are accepted, min_version and max_version narrow that") {
  auto with_client = [](int min, int max) {
    return [min, max](SSL_CTX*, SSL* ssl) {
      SSL_set_min_proto_version(ssl, min);
      SSL_set_max_proto_version(ssl, max);
      SSL_set_security_level(ssl, 0);  // let the client offer TLS 1.1 at all
    };
  };
  auto o = options_for({"localhost"});
  {
    pair_conn c(context(o), with_client(TLS1_VERSION, TLS1_1_VERSION));
    CHECK_FALSE(c.handshake());
    CHECK(c.server_status == rodeo::tls_status::error);
    CHECK(c.server->error() == "unsupported protocol");
  }
  {
    pair_conn c(context(o), with_client(TLS1_2_VERSION, TLS1_2_VERSION));
    REQUIRE(c.handshake());
    CHECK(c.server->version() == "TLSv1.2");
    CHECK(c.server->cipher() == "ECDHE-ECDSA-AES128-GCM-SHA256");
  }
  o.min_version = rodeo::tls_version::tls1_3;
  {
    pair_conn c(context(o), with_client(TLS1_2_VERSION, TLS1_2_VERSION));
    CHECK_FALSE(c.handshake());
    CHECK(c.server->error() == "unsupported protocol");
  }
}

TEST_CASE("a TLS 1.2 client offering only forbidden ciphers is refused") {
  pair_conn c(context(options_for({"localhost"})), [](SSL_CTX*, SSL* ssl) {
    SSL_set_max_proto_version(ssl, TLS1_2_VERSION);
    SSL_set_cipher_list(ssl, "AES128-SHA");  // no forward secrecy, CBC: not in the default
  });
  CHECK_FALSE(c.handshake());
  CHECK(c.server->error() == "no shared cipher");
}

TEST_CASE("reloading: a new context serves new connections, old ones keep theirs") {
  auto old_ctx = context(options_for({"old.test"}));
  pair_conn before(old_ctx);
  REQUIRE(before.handshake());
  auto new_ctx = context(options_for({"new.test"}));
  old_ctx.reset();  // the listener let go of the old context; the connection still holds it
  pair_conn after(new_ctx);
  REQUIRE(after.handshake());
  CHECK(served_cn(after) == "new.test");
  CHECK(served_cn(before) == "old.test");
  char msg[] = "still here";
  REQUIRE(SSL_write(before.client, msg, sizeof msg) == static_cast<int>(sizeof msg));
  char buf[32];
  auto r = before.server->read(buf, sizeof buf);
  CHECK(r.status == rodeo::tls_status::done);
  CHECK(std::string(buf, r.bytes) == std::string(msg, sizeof msg));
}
