// The list methods' common path: the first page comes from the snapshot's
// cache (serialized once per catalog change), later pages are built per
// request.
#pragma once

#include <string_view>

#include "engine/catalog.h"
#include "engine/engine.h"
#include "engine/methods/methods.h"
#include "engine/methods/params.h"

namespace mcpx::engine::methods {

template <typename Items, typename ToJson>
void ReplyList(Engine& e, const RequestPtr& r, const json::object& params, const CatalogSnapshot& snapshot,
               const Items& items, ListPageCache::Kind kind, std::string_view key, ToJson to_json) {
  const std::size_t cursor = ParseCursor(params);
  const std::size_t page_size = e.options().page_size;
  if (cursor == 0) {
    const std::string& text = snapshot.first_pages.Get(
        kind, [&] { return json::serialize(Page(items, 0, page_size, key, to_json)); });
    e.ReplyListText(r, text);
    return;
  }
  json::object page = Page(items, cursor, page_size, key, to_json);
  AddCacheHints(e, *r, page);
  e.Reply(r, std::move(page));
}

}  // namespace mcpx::engine::methods
