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

// `scopes_of(item)`: the scopes an item needs. A caller whose principal
// lacks them does not see it: its lists are built for it (no shared cache),
// and only when some item of the kind has scopes.
template <typename Items, typename ToJson, typename ScopesOf>
void ReplyList(Engine& e, const RequestPtr& r, const json::object& params, const CatalogSnapshot& snapshot,
               const Items& items, ListPageCache::Kind kind, std::string_view key, ToJson to_json,
               ScopesOf scopes_of) {
  const std::size_t cursor = ParseCursor(params);
  const std::size_t page_size = e.options().page_size;
  if (const Principal* who = r->principal().get(); who != nullptr && snapshot.scoped[kind]) {
    std::vector<const typename Items::value_type*> visible;
    for (const auto& item : items) {
      if (who->HasAll(scopes_of(item))) visible.push_back(&item);
    }
    json::object page = Page(visible, cursor, page_size, key, [&to_json](const auto* item) { return to_json(*item); });
    AddCacheHints(e, *r, page);
    e.Reply(r, std::move(page));
    return;
  }
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
