#include "protocol_factory.hpp"

namespace rodeo::detail {

http1_options http1_options_of(const protocol_options& proto) {
  return {http1::limits{proto.max_method_length, proto.max_request_line_length,
                        proto.max_header_name_length, proto.max_header_value_length,
                        proto.max_headers, proto.max_chunk_extension_length}};
}

caf::actor protocol_factory::start(caf::local_actor* parent, int fd,
                                   std::shared_ptr<listener_state> ls) const {
  return spawn_http1_connection(parent, fd, std::move(ls));
}

std::unique_ptr<transport> protocol_factory::open(int fd, std::shared_ptr<rodeo::reactor> r,
                                                  caf::actor owner) const {
  auto tcp = make_tcp_transport(fd, std::move(r), std::move(owner));
  if (!tls_) return tcp;
  return make_tls_transport(std::move(tcp), tls_->context.load(), tls_->stats);
}

}  // namespace rodeo::detail
