#pragma once
// Pattern-matching a CAF message by its element types, for code that receives arbitrary messages
// (a loop handler's info(), a gen_server's handle_info()):
//
//   if (auto m = rodeo::match<rodeo::reply_atom, std::string>(msg)) use(std::get<1>(*m));
#include <cstddef>
#include <optional>
#include <tuple>
#include <utility>

#include <caf/message.hpp>

namespace rodeo {

/// The elements of `msg` when its types are exactly Ts..., else nullopt.
template <class... Ts>
std::optional<std::tuple<Ts...>> match(const caf::message& msg) {
  if (!msg.match_elements<Ts...>()) return std::nullopt;
  return [&]<std::size_t... Is>(std::index_sequence<Is...>) {
    return std::optional<std::tuple<Ts...>>{std::tuple<Ts...>{msg.get_as<Ts>(Is)...}};
  }
  (std::index_sequence_for<Ts...>{});
}

}  // namespace rodeo
