#include "resource/network/tc_filter.h"

#include <fmt/format.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/tc.h>

#include <cerrno>

#include "resource/network/link.h"
#include "resource/network/nl.h"

namespace kata::resource::network {
namespace {

// The ingress hook as a filter parent (`tc filter add dev X ingress`): ffff:fff2 is valid
// under both an ingress qdisc and a clsact one, which an existing setup may have.
constexpr uint32_t kIngressHook = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS);
constexpr uint32_t kIngressQdiscHandle = TC_H_MAKE(TC_H_INGRESS, 0);

bool gone(int err) { return err == ENOENT || err == ENODEV; }

// Whether `ifindex` has an ingress or clsact qdisc (both sit at parent ffff:fff1).
Result<bool> has_ingress(nl_sock* sock, int ifindex) {
  nl_cache* raw = nullptr;
  if (int err = rtnl_qdisc_alloc_cache(sock, &raw); err < 0) return nl::error(err, "list qdiscs");
  nl::Cache cache(raw);
  nl::Qdisc q(rtnl_qdisc_get_by_parent(cache.get(), ifindex, TC_H_INGRESS));
  return q != nullptr;
}

// Adds an ingress qdisc unless one is there; says whether it added it.
Result<bool> ensure_ingress(nl_sock* sock, int ifindex) {
  KATA_ASSIGN_OR_RETURN(bool present, has_ingress(sock, ifindex));
  if (present) return false;
  nl::Qdisc q(rtnl_qdisc_alloc());
  if (!q) return Error(Code::kResourceExhausted, "allocate qdisc");
  rtnl_tc_set_ifindex(TC_CAST(q.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(q.get()), TC_H_INGRESS);
  rtnl_tc_set_handle(TC_CAST(q.get()), kIngressQdiscHandle);
  if (int err = rtnl_tc_set_kind(TC_CAST(q.get()), "ingress"); err < 0) {
    return nl::error(err, "set qdisc kind");
  }
  if (int err = rtnl_qdisc_add(sock, q.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0) {
    return nl::error(err, fmt::format("add ingress qdisc on link {}", ifindex));
  }
  return true;
}

// Sets the link's tx queue length back to `len` if adding a qdisc changed it.
Status restore_tx_queue_len(nl_sock* sock, int ifindex, uint32_t len) {
  auto link = nl::get_link(sock, ifindex);
  if (!link) return gone(link.error().sys_errno()) ? Status() : Status(std::move(link).error());
  if (rtnl_link_get_txqlen(link->get()) == len) return {};
  nl::Link change(rtnl_link_alloc());
  if (!change) return Error(Code::kResourceExhausted, "allocate link");
  rtnl_link_set_txqlen(change.get(), len);
  if (int err = rtnl_link_change(sock, link->get(), change.get(), 0);
      err < 0 && !gone(nl::errno_of(err))) {
    return nl::error(err, fmt::format("restore the tx queue length of link {}", ifindex));
  }
  return {};
}

Status delete_ingress(nl_sock* sock, int ifindex) {
  // Without one the kernel answers EINVAL, which would hide real errors.
  KATA_ASSIGN_OR_RETURN(bool present, has_ingress(sock, ifindex));
  if (!present) return {};
  nl::Qdisc q(rtnl_qdisc_alloc());
  if (!q) return Error(Code::kResourceExhausted, "allocate qdisc");
  rtnl_tc_set_ifindex(TC_CAST(q.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(q.get()), TC_H_INGRESS);
  rtnl_tc_set_handle(TC_CAST(q.get()), kIngressQdiscHandle);
  if (int err = rtnl_qdisc_delete(sock, q.get()); err < 0 && !gone(nl::errno_of(err))) {
    return nl::error(err, fmt::format("delete ingress qdisc on link {}", ifindex));
  }
  return {};
}

// delete_ingress() of a qdisc we added, then the tx queue length from before it.
Status delete_added_ingress(nl_sock* sock, int ifindex, uint32_t tx_queue_len) {
  KATA_TRY(delete_ingress(sock, ifindex));
  return restore_tx_queue_len(sock, ifindex, tx_queue_len);
}

// The filter's identity (device, hook, priority, protocol), shared by add and delete. No
// handle: u32 numbers its hash tables per qdisc, so a fixed one could clash with another
// u32 filter there. The priority alone names ours: a delete without a handle removes
// everything at that priority, which redirect() made sure was nobody else's.
Result<nl::Cls> filter_on(int ifindex, int priority) {
  nl::Cls cls(rtnl_cls_alloc());
  if (!cls) return Error(Code::kResourceExhausted, "allocate filter");
  rtnl_tc_set_ifindex(TC_CAST(cls.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(cls.get()), kIngressHook);
  if (int err = rtnl_tc_set_kind(TC_CAST(cls.get()), "u32"); err < 0) {
    return nl::error(err, "set filter kind");
  }
  rtnl_cls_set_prio(cls.get(), priority);
  rtnl_cls_set_protocol(cls.get(), ETH_P_ALL);
  return cls;
}

// Whether `ifindex` has an ingress filter at our priority already: a second redirect of
// the same device, or somebody else's filter that disconnect() would then delete.
Result<bool> has_filter_at_priority(nl_sock* sock, int ifindex) {
  nl_cache* raw = nullptr;
  if (int err = rtnl_cls_alloc_cache(sock, ifindex, kIngressHook, &raw); err < 0) {
    return nl::error(err, fmt::format("list ingress filters of link {}", ifindex));
  }
  nl::Cache cache(raw);
  for (nl_object* o = nl_cache_get_first(raw); o != nullptr; o = nl_cache_get_next(o)) {
    if (rtnl_cls_get_prio(reinterpret_cast<rtnl_cls*>(o)) == kRedirectPriority) return true;
  }
  return false;
}

// `tc filter add dev <from> ingress prio 1 protocol all u32 match u8 0 0
//  action mirred egress redirect dev <to>`. u32 rather than matchall: not every kernel
// has CONFIG_NET_CLS_MATCHALL, and a mask-0 key matches every frame just the same.
Status add_redirect_filter(nl_sock* sock, int from, int to) {
  std::string what = fmt::format("add redirect filter from link {} to {}", from, to);
  KATA_ASSIGN_OR_RETURN(bool taken, has_filter_at_priority(sock, from));
  if (taken) {
    return Error(Code::kAlreadyExists,
                 fmt::format("{}: link {} has an ingress filter at priority {} already", what, from,
                             kRedirectPriority));
  }
  KATA_ASSIGN_OR_RETURN(nl::Cls cls, filter_on(from, kRedirectPriority));
  if (int err = rtnl_u32_add_key_uint8(cls.get(), 0, 0, 0, 0); err < 0) {
    return nl::error(err, what);
  }
  rtnl_u32_set_cls_terminal(cls.get());
  nl::Act act(rtnl_act_alloc());
  if (!act) return Error(Code::kResourceExhausted, "allocate action");
  if (int err = rtnl_tc_set_kind(TC_CAST(act.get()), "mirred"); err < 0) {
    return nl::error(err, what);
  }
  rtnl_mirred_set_action(act.get(), TCA_EGRESS_REDIR);
  rtnl_mirred_set_policy(act.get(), TC_ACT_STOLEN);
  rtnl_mirred_set_ifindex(act.get(), to);
  if (int err = rtnl_u32_add_action(cls.get(), act.get()); err < 0) return nl::error(err, what);
  if (int err = rtnl_cls_add(sock, cls.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0) {
    return nl::error(err, what);
  }
  return {};
}

Status delete_redirect_filter(nl_sock* sock, int ifindex, int priority = kRedirectPriority) {
  // With no ingress qdisc there is no filter, and the kernel would answer EINVAL.
  KATA_ASSIGN_OR_RETURN(bool present, has_ingress(sock, ifindex));
  if (!present) return {};
  KATA_ASSIGN_OR_RETURN(nl::Cls cls, filter_on(ifindex, priority));
  if (int err = rtnl_cls_delete(sock, cls.get(), 0); err < 0 && !gone(nl::errno_of(err))) {
    return nl::error(err, fmt::format("delete redirect filter on link {}", ifindex));
  }
  return {};
}

// Adds the ingress qdisc (if missing) and the redirect filter on `from`; on failure removes
// the qdisc again if it added it. Says whether it added the qdisc.
Result<bool> add_one_direction(nl_sock* sock, int from, int to, uint32_t from_tx_queue_len) {
  KATA_ASSIGN_OR_RETURN(bool qdisc_added, ensure_ingress(sock, from));
  if (Status added = add_redirect_filter(sock, from, to); !added) {
    // Best effort; the add error is the one to report.
    if (qdisc_added) (void)delete_added_ingress(sock, from, from_tx_queue_len);
    return std::move(added).error();
  }
  return qdisc_added;
}

Result<Redirect> redirect_here(int tap_ifindex, int veth_ifindex) {
  KATA_ASSIGN_OR_RETURN(nl::Sock sock, nl::connect_route());
  KATA_ASSIGN_OR_RETURN(nl::Link tap, nl::get_link(sock.get(), tap_ifindex));
  KATA_ASSIGN_OR_RETURN(nl::Link veth, nl::get_link(sock.get(), veth_ifindex));
  const char* kind = rtnl_link_get_type(tap.get());
  if (classify_link(kind ? kind : "", rtnl_link_get_arptype(tap.get())) != LinkKind::kTap) {
    return Error(Code::kInvalidArgument, fmt::format("link {} (`{}`) is not a tap", tap_ifindex,
                                                     rtnl_link_get_name(tap.get())));
  }
  Redirect r;
  r.tap_ifindex = tap_ifindex;
  r.tap_name = rtnl_link_get_name(tap.get());
  r.veth_ifindex = veth_ifindex;
  r.veth_name = rtnl_link_get_name(veth.get());
  r.veth_tx_queue_len = rtnl_link_get_txqlen(veth.get());
  uint32_t tap_tx_queue_len = rtnl_link_get_txqlen(tap.get());

  KATA_ASSIGN_OR_RETURN(bool tap_qdisc_added,
                        add_one_direction(sock.get(), tap_ifindex, veth_ifindex, tap_tx_queue_len));
  auto veth_added = add_one_direction(sock.get(), veth_ifindex, tap_ifindex, r.veth_tx_queue_len);
  if (!veth_added) {
    (void)delete_redirect_filter(sock.get(), tap_ifindex);  // best effort, as above
    if (tap_qdisc_added) (void)delete_added_ingress(sock.get(), tap_ifindex, tap_tx_queue_len);
    return std::move(veth_added).error();
  }
  r.veth_ingress_added = *veth_added;
  return r;
}

// Deletes the tap only if `ifindex` still names it: after the tap went with its last fd,
// the index may have been given to another device.
Status delete_tap(nl_sock* sock, int ifindex, const std::string& name) {
  auto link = nl::get_link(sock, ifindex);
  if (!link) return gone(link.error().sys_errno()) ? Status() : Status(std::move(link).error());
  const char* kind = rtnl_link_get_type(link->get());
  if (name != rtnl_link_get_name(link->get()) || kind == nullptr ||
      std::string_view(kind) != "tun") {
    return {};
  }
  if (int err = rtnl_link_delete(sock, link->get()); err < 0 && !gone(nl::errno_of(err))) {
    return nl::error(err, fmt::format("delete tap `{}`", name));
  }
  return {};
}

Status disconnect_here(const Redirect& r) {
  KATA_ASSIGN_OR_RETURN(nl::Sock sock, nl::connect_route());
  // Every step runs even if an earlier one failed; the first error is reported.
  Status first = delete_redirect_filter(sock.get(), r.veth_ifindex, r.priority);
  auto keep = [&first](Status s) {
    if (first && !s) first = std::move(s);
  };
  if (r.veth_ingress_added) {
    keep(delete_added_ingress(sock.get(), r.veth_ifindex, r.veth_tx_queue_len));
  }
  keep(delete_tap(sock.get(), r.tap_ifindex, r.tap_name));
  return first;
}

// Whether `ifindex` is a link named `name`.
Result<bool> link_named(nl_sock* sock, int ifindex, const std::string& name) {
  auto link = nl::get_link(sock, ifindex);
  if (!link) {
    if (gone(link.error().sys_errno())) return false;
    return std::move(link).error();
  }
  return name == rtnl_link_get_name(link->get());
}

struct FilterVerdict {
  bool present = false;  // a filter at the priority
  std::string foreign;   // why it is not what redirect() added; "" when it is
};

// Whether the ingress filters of the veth at `r.priority` are what add_redirect_filter()
// made: u32 entries (its hash table shows as one without actions) whose actions are all
// `mirred egress redirect` to the tap, or to no device once the tap is gone.
Result<FilterVerdict> judge_filters(nl_sock* sock, const Redirect& r) {
  nl_cache* raw = nullptr;
  if (int err = rtnl_cls_alloc_cache(sock, r.veth_ifindex, kIngressHook, &raw); err < 0) {
    return nl::error(err, fmt::format("list ingress filters of link {}", r.veth_ifindex));
  }
  nl::Cache cache(raw);
  FilterVerdict v;
  for (nl_object* o = nl_cache_get_first(raw); o != nullptr; o = nl_cache_get_next(o)) {
    auto* cls = reinterpret_cast<rtnl_cls*>(o);
    if (rtnl_cls_get_prio(cls) != r.priority) continue;
    v.present = true;
    const char* kind = rtnl_tc_get_kind(TC_CAST(cls));
    if (kind == nullptr || std::string_view(kind) != "u32") {
      v.foreign = fmt::format("a `{}` filter", kind ? kind : "");
      return v;
    }
    for (rtnl_act* a = rtnl_u32_get_action(cls); a != nullptr; a = rtnl_act_next(a)) {
      const char* act_kind = rtnl_tc_get_kind(TC_CAST(a));
      if (act_kind == nullptr || std::string_view(act_kind) != "mirred" ||
          rtnl_mirred_get_action(a) != TCA_EGRESS_REDIR) {
        v.foreign = fmt::format("a u32 filter with a `{}` action", act_kind ? act_kind : "");
        return v;
      }
      int target = static_cast<int>(rtnl_mirred_get_ifindex(a));
      if (target == 0) continue;
      KATA_ASSIGN_OR_RETURN(bool to_tap, link_named(sock, target, r.tap_name));
      if (target != r.tap_ifindex || !to_tap) {
        v.foreign = fmt::format("a redirect to link {}, not to tap `{}`", target, r.tap_name);
        return v;
      }
    }
  }
  return v;
}

// Why the veth's ingress qdisc must stay though redirect() added it ("" when it may go):
// it is a clsact now, or somebody's filters are under it.
Result<std::string> ingress_in_use(nl_sock* sock, int ifindex) {
  nl_cache* raw = nullptr;
  if (int err = rtnl_qdisc_alloc_cache(sock, &raw); err < 0) return nl::error(err, "list qdiscs");
  nl::Cache qdiscs(raw);
  rtnl_qdisc* q = rtnl_qdisc_get_by_parent(qdiscs.get(), ifindex, TC_H_INGRESS);
  if (q == nullptr) return std::string();
  nl::Qdisc owned(q);  // get_by_parent took a reference
  const char* kind = rtnl_tc_get_kind(TC_CAST(q));
  if (kind == nullptr || std::string_view(kind) != "ingress") {
    return fmt::format("its qdisc is a `{}` one", kind ? kind : "");
  }
  nl_cache* cls_raw = nullptr;
  if (int err = rtnl_cls_alloc_cache(sock, ifindex, kIngressHook, &cls_raw); err < 0) {
    return nl::error(err, fmt::format("list ingress filters of link {}", ifindex));
  }
  nl::Cache filters(cls_raw);
  if (nl_cache_nitems(cls_raw) > 0) return std::string("other filters are under its qdisc");
  return std::string();
}

// The veth's part of remove_leftover().
Result<LeftoverRemoval> remove_veth_leftover(nl_sock* sock, const Redirect& r) {
  LeftoverRemoval out;
  auto veth = nl::get_link(sock, r.veth_ifindex);
  if (!veth) {
    if (!gone(veth.error().sys_errno())) return std::move(veth).error();
    out.left_alone = fmt::format("link {} (`{}`) is gone", r.veth_ifindex, r.veth_name);
    return out;
  }
  std::string name = rtnl_link_get_name(veth->get());
  if (name != r.veth_name) {
    out.left_alone =
        fmt::format("link {} is `{}` now, not `{}`", r.veth_ifindex, name, r.veth_name);
    return out;
  }
  KATA_ASSIGN_OR_RETURN(FilterVerdict v, judge_filters(sock, r));
  if (!v.foreign.empty()) {
    out.left_alone = fmt::format("`{}` has {} at priority {}", name, v.foreign, r.priority);
    return out;
  }
  if (v.present) {
    KATA_TRY(delete_redirect_filter(sock, r.veth_ifindex, r.priority));
    out.filter_removed = true;
  }
  if (!r.veth_ingress_added) return out;
  KATA_ASSIGN_OR_RETURN(std::string in_use, ingress_in_use(sock, r.veth_ifindex));
  if (!in_use.empty()) {
    out.left_alone = fmt::format("the ingress qdisc of `{}` stays: {}", name, in_use);
    return out;
  }
  KATA_ASSIGN_OR_RETURN(bool present, has_ingress(sock, r.veth_ifindex));
  if (!present) return out;
  KATA_TRY(delete_added_ingress(sock, r.veth_ifindex, r.veth_tx_queue_len));
  out.qdisc_removed = true;
  return out;
}

Result<LeftoverRemoval> remove_leftover_here(const Redirect& r) {
  KATA_ASSIGN_OR_RETURN(nl::Sock sock, nl::connect_route());
  // The veth before the tap: while the tap lives, a filter of ours names it.
  KATA_ASSIGN_OR_RETURN(LeftoverRemoval out, remove_veth_leftover(sock.get(), r));
  KATA_TRY(delete_tap(sock.get(), r.tap_ifindex, r.tap_name));
  return out;
}

}  // namespace

Result<Redirect> redirect(const NetNs& ns, int tap_ifindex, int veth_ifindex) {
  return ns.run_in([&] { return redirect_here(tap_ifindex, veth_ifindex); })
      .context(fmt::format("redirect between tap {} and link {}", tap_ifindex, veth_ifindex));
}

Result<Connection> connect(const NetNs& ns, int veth_ifindex, const std::string& tap_name) {
  std::string what = fmt::format("connect link {} to tap `{}`", veth_ifindex, tap_name);
  auto mtu = ns.run_in([&]() -> Result<uint32_t> {
    KATA_ASSIGN_OR_RETURN(nl::Sock sock, nl::connect_route());
    KATA_ASSIGN_OR_RETURN(nl::Link veth, nl::get_link(sock.get(), veth_ifindex));
    return rtnl_link_get_mtu(veth.get());
  });
  if (!mtu) return std::move(mtu).error().context(what);
  // If redirect() fails, dropping the tap's only fd removes the tap again.
  KATA_ASSIGN_OR_RETURN(Tap tap, make_tap(ns, tap_name, *mtu).context(what));
  KATA_ASSIGN_OR_RETURN(Redirect r, redirect(ns, tap.ifindex, veth_ifindex).context(what));
  return Connection{std::move(tap), std::move(r)};
}

Status disconnect(const NetNs& ns, const Redirect& redirect) {
  return ns.run_in([&] { return disconnect_here(redirect); })
      .context(fmt::format("disconnect tap `{}` from link {}", redirect.tap_name,
                           redirect.veth_ifindex));
}

Result<LeftoverRemoval> remove_leftover(const NetNs& ns, const Redirect& redirect) {
  return ns.run_in([&] { return remove_leftover_here(redirect); })
      .context(fmt::format("remove leftover redirect between tap `{}` and `{}`", redirect.tap_name,
                           redirect.veth_name));
}

}  // namespace kata::resource::network
