// The items resource: every callback that needs the store asks the gen_server and answers
// rest::later; the reply resumes the REST flow (the request actor never blocks).
#include "items.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <ctime>
#include <map>
#include <string>

namespace rodeo_demo {
namespace {

using namespace std::chrono_literals;
namespace rest = rodeo::rest;

using item_get_atom = caf::atom_constant<caf::atom("itemget")>;
using item_put_atom = caf::atom_constant<caf::atom("itemput")>;
using item_post_atom = caf::atom_constant<caf::atom("itempost")>;
using item_del_atom = caf::atom_constant<caf::atom("itemdel")>;
using item_list_atom = caf::atom_constant<caf::atom("itemlist")>;

constexpr auto store_timeout = 2s;

struct items_store {
  struct item {
    std::string json;
    uint64_t version;
    int64_t modified;
  };
  std::map<std::string, item> items;
  uint64_t next_id = 1;
  uint64_t version = 0;

  caf::behavior handle_call() {
    return {
        // found, json, version, modified
        [this](item_get_atom, const std::string& id) {
          auto i = items.find(id);
          if (i == items.end())
            return caf::make_message(false, std::string{}, uint64_t{0}, int64_t{0});
          return caf::make_message(true, i->second.json, i->second.version, i->second.modified);
        },
        // created
        [this](item_put_atom, const std::string& id, std::string& json) {
          bool created = !items.count(id);
          items[id] = {std::move(json), ++version, static_cast<int64_t>(std::time(nullptr))};
          return created;
        },
        // the new id
        [this](item_post_atom, std::string& json) {
          auto id = std::to_string(next_id++);
          while (items.count(id)) id = std::to_string(next_id++);
          items[id] = {std::move(json), ++version, static_cast<int64_t>(std::time(nullptr))};
          return id;
        },
        [this](item_del_atom, const std::string& id) { return items.erase(id) > 0; },
        // {"id": value, ...}
        [this](item_list_atom) {
          nlohmann::json all = nlohmann::json::object();
          for (auto& [id, it] : items) all[id] = nlohmann::json::parse(it.json);
          return all.dump();
        },
    };
  }
};

class items_h final : public rodeo::rest_handler {
 public:
  explicit items_h(caf::actor store) : store_(std::move(store)) {}

  result<methods> allowed_methods(rodeo::req& r) override {
    id_ = r.binding("id") ? r.binding("id")->as_string() : std::string{};
    if (id_.empty()) return {"GET", "HEAD", "POST", "OPTIONS"};
    return {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"};
  }

  result<rest::authorization> is_authorized(rodeo::req& r) override {
    auto m = r.method();
    if (m != "PUT" && m != "POST" && m != "DELETE") return true;
    auto auth = r.parse_header("authorization", rodeo::http_header::parse_authorization);
    if (auth && auth->scheme == "basic" && auth->username == "demo" && auth->password == "demo")
      return true;
    return rest::authorization::unauthorized("Basic realm=\"rodeo-demo\"");
  }

  result<std::vector<rest::provided>> content_types_provided(rodeo::req&) override {
    return {{"application/json",
             [this](rodeo::req&) -> result<rest::body> {
               return json_ + "\n";
             }},
            {"text/plain", [this](rodeo::req&) -> result<rest::body> {
               if (id_.empty()) return json_ + "\n";
               return "item " + id_ + ": " + json_ + "\n";
             }}};
  }

  // The collection always exists (a POST to it creates an item: 201); an item, when the store
  // has it. Both are looked up asynchronously.
  result<bool> resource_exists(rodeo::req& r) override {
    if (id_.empty()) {
      if (r.method() == "POST") return false;
      r.self()
          ->request(store_, store_timeout, item_list_atom::value)
          .then([this, &r](std::string& all) {
            json_ = std::move(all);
            resume(r, true);
          });
      return rest::later;
    }
    r.self()
        ->request(store_, store_timeout, item_get_atom::value, id_)
        .then([this, &r](bool found, std::string& json, uint64_t version, int64_t modified) {
          json_ = std::move(json);
          version_ = version;
          modified_ = static_cast<std::time_t>(modified);
          resume(r, found);
        });
    return rest::later;
  }

  std::optional<rodeo::http_header::etag> generate_etag(rodeo::req&) override {
    if (id_.empty() || version_ == 0) return std::nullopt;
    return rodeo::http_header::etag{false, std::to_string(version_)};
  }

  std::optional<std::time_t> last_modified(rodeo::req&) override {
    if (id_.empty() || version_ == 0) return std::nullopt;
    return modified_;
  }

  result<std::vector<rest::accepted_type>> content_types_accepted(rodeo::req&) override {
    return {{"application/json", [this](rodeo::req&) -> result<rest::accept_answer> {
               return rest::read_body(
                   [this](rodeo::req& r, std::string body) -> result<rest::accepted> {
                     if (!nlohmann::json::accept(body)) return false;  // 400
                     store(r, nlohmann::json::parse(body).dump());
                     return rest::accepted::later();
                   },
                   64 * 1024);
             }}};
  }

  result<bool> delete_resource(rodeo::req& r) override {
    r.self()->request(store_, store_timeout, item_del_atom::value, id_).then([this, &r](bool) {
      resume(r, true);
    });
    return rest::later;
  }

 private:
  void store(rodeo::req& r, std::string json) {
    if (id_.empty()) {
      r.self()
          ->request(store_, store_timeout, item_post_atom::value, std::move(json))
          .then([this, &r](std::string& id) {
            resume(r, rest::accepted::created("/rest/items/" + id));
          });
      return;
    }
    r.self()
        ->request(store_, store_timeout, item_put_atom::value, id_, std::move(json))
        .then([this, &r](bool) { resume(r, true); });
  }

  caf::actor store_;
  std::string id_;
  std::string json_;
  uint64_t version_ = 0;
  std::time_t modified_ = 0;
};

}  // namespace

caf::actor start_items(caf::actor_system& sys) {
  return rodeo::gen_server<items_store>::start(sys);
}

rodeo::handler_ref items_handler(caf::actor store) {
  return rodeo::handler_of<items_h>(std::move(store));
}

}  // namespace rodeo_demo
