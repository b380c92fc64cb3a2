// A circular doubly-linked list whose nodes live inside the objects listed
// (the Linux kernel's list_head): linking and unlinking allocate nothing and
// take O(1), and an object knows whether it is linked. The engine keeps its
// time-ordered bookkeeping (session expiry, the watchdog's running requests)
// in these lists, so that maintenance touches only what is due.
//
// Thread safety: none; the owner of a list guards it and its nodes' links.
#pragma once

namespace mcpx {

class ListNode {
 public:
  ListNode() = default;
  ListNode(const ListNode&) = delete;
  ListNode& operator=(const ListNode&) = delete;

  bool linked() const { return next_ != nullptr; }
  // Requires linked().
  void Unlink() {
    prev_->next_ = next_;
    next_->prev_ = prev_;
    prev_ = next_ = nullptr;
  }

 private:
  friend class ListHead;
  ListNode* prev_ = nullptr;
  ListNode* next_ = nullptr;
};

// A list's sentinel. Not movable: the first and last nodes point at it.
class ListHead {
 public:
  ListHead() { sentinel_.prev_ = sentinel_.next_ = &sentinel_; }
  ListHead(const ListHead&) = delete;
  ListHead& operator=(const ListHead&) = delete;

  bool empty() const { return sentinel_.next_ == &sentinel_; }
  // Null when empty.
  ListNode* front() const { return empty() ? nullptr : sentinel_.next_; }
  ListNode* back() const { return empty() ? nullptr : sentinel_.prev_; }
  // The node after `n` in this list, or null after the last.
  ListNode* next(const ListNode* n) const { return n->next_ == &sentinel_ ? nullptr : n->next_; }
  ListNode* prev(const ListNode* n) const { return n->prev_ == &sentinel_ ? nullptr : n->prev_; }

  // Requires !n->linked().
  void PushBack(ListNode* n) { InsertBefore(&sentinel_, n); }
  // Inserts `n` right after `pos` (a node of this list, or null for the front).
  void InsertAfter(ListNode* pos, ListNode* n) { InsertBefore(pos == nullptr ? sentinel_.next_ : pos->next_, n); }
  ListNode* PopFront() {
    ListNode* n = front();
    if (n != nullptr) n->Unlink();
    return n;
  }
  // Moves every node of `other` to the back of this list.
  void SpliceBack(ListHead& other) {
    if (other.empty()) return;
    ListNode* first = other.sentinel_.next_;
    ListNode* last = other.sentinel_.prev_;
    other.sentinel_.prev_ = other.sentinel_.next_ = &other.sentinel_;
    first->prev_ = sentinel_.prev_;
    sentinel_.prev_->next_ = first;
    last->next_ = &sentinel_;
    sentinel_.prev_ = last;
  }

 private:
  static void InsertBefore(ListNode* pos, ListNode* n) {
    n->prev_ = pos->prev_;
    n->next_ = pos;
    pos->prev_->next_ = n;
    pos->prev_ = n;
  }

  ListNode sentinel_;
};

}  // namespace mcpx
