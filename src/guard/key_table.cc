#include "guard/key_table.h"

#include <algorithm>

#include <boost/asio/ip/address.hpp>

namespace mcpx::guard {

std::string AddressPrefix(std::string_view address) {
  boost::system::error_code ec;
  const auto parsed = boost::asio::ip::make_address(std::string(address), ec);
  if (ec) return std::string(address);
  if (parsed.is_v4() || (parsed.is_v6() && parsed.to_v6().is_v4_mapped())) {
    auto bytes = (parsed.is_v4() ? parsed.to_v4()
                                 : boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, parsed.to_v6()))
                     .to_bytes();
    bytes[3] = 0;
    return boost::asio::ip::address_v4(bytes).to_string() + "/24";
  }
  auto bytes = parsed.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

}  // namespace mcpx::guard
