#pragma once
// Process groups like OTP's pg: join, leave, members, send to all. A member leaves every group
// when it dies (it is no longer listed once it began dying, before its monitors hear of it). An
// actor may join a group several times and is then a member until it left as many times (as in pg).
// Sending builds the caf::message once; all members share its payload.
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/actor.hpp>
#include <caf/message.hpp>

namespace rodeo {

class process_groups {
 public:
  process_groups();
  ~process_groups();
  void join(const std::string& group, const caf::actor& who);
  /// False when `who` was not a member.
  bool leave(const std::string& group, const caf::actor& who);
  /// Leaves every group at once (whatever the join counts); returns how many groups it left.
  std::size_t leave_all(const caf::actor& who);
  /// Each member once, whatever its join count.
  std::vector<caf::actor> members(const std::string& group) const;
  std::vector<std::string> which_groups() const;
  /// Delivers `msg` to every member (as an anonymous message); returns how many got it.
  std::size_t send(const std::string& group, const caf::message& msg) const;
  template <class T, class... Ts>
  requires(!std::is_same_v<std::decay_t<T>, caf::message>) std::size_t
      send(const std::string& group, T&& x, Ts&&... xs)
  const { return send(group, caf::make_message(std::forward<T>(x), std::forward<Ts>(xs)...)); }
  /// Empties every group, releasing the handles (a stopping node does this).
  void clear();

 private:
  struct table {
    mutable std::mutex mutex;
    // group -> member id -> (handle, join count)
    std::unordered_map<std::string, std::unordered_map<caf::actor_id, std::pair<caf::actor, int>>>
        groups;
    std::unordered_set<caf::actor_id> watched;
  };
  std::shared_ptr<table> table_;
};

}  // namespace rodeo
