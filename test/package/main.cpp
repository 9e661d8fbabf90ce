// An outside project: built against an installed Rodeo through find_package(rodeo).
#include <caf/all.hpp>
#include <rodeo/rodeo.hpp>

int main() {
  rodeo::node n;
  auto echo = rodeo::spawn(n.system(), [](caf::event_based_actor*) -> caf::behavior {
    return {[](int x) {
      return x + 1;
    }};
  });
  if (!rodeo::register_name(n.system(), "echo", echo)) return 1;
  caf::scoped_actor self{n.system()};
  int answer = 0;
  self->request(rodeo::whereis(n.system(), "echo"), std::chrono::seconds(5), 41)
      .receive([&](int x) { answer = x; }, [](caf::error&) {});
  self->send_exit(echo, rodeo::reason::shutdown());
  return answer == 42 ? 0 : 2;
}
