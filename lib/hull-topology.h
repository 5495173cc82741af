/* hull-topology.h — x86 processor topology: sockets, dies, cores, threads,
 * APIC ids and the x2APIC decision.
 *
 * Follows OpenVMM's vm_topology (processor/x86.rs); see
 * docs/memory-layout.md for the rules and a worked example.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * HullX2ApicRequest:
 * @HULL_X2APIC_REQUEST_SUPPORTED: offer x2APIC; enable it only when an APIC id
 *   needs it ("supported")
 * @HULL_X2APIC_REQUEST_UNSUPPORTED: never offer x2APIC; every APIC id must be
 *   below 255 ("unsupported")
 * @HULL_X2APIC_REQUEST_ENABLED: start the guest in x2APIC mode ("enabled")
 *
 * What the domain asks for. hull_processor_topology_new() turns it into a
 * #HullApicMode.
 */
typedef enum
{
  HULL_X2APIC_REQUEST_SUPPORTED,
  HULL_X2APIC_REQUEST_UNSUPPORTED,
  HULL_X2APIC_REQUEST_ENABLED,
} HullX2ApicRequest;

/**
 * HullApicMode:
 * @HULL_APIC_MODE_XAPIC: xAPIC only, x2APIC hidden from the guest ("xapic")
 * @HULL_APIC_MODE_X2APIC_SUPPORTED: x2APIC offered, the guest starts in xAPIC
 *   mode ("x2apic-supported")
 * @HULL_APIC_MODE_X2APIC_ENABLED: the guest starts in x2APIC mode
 *   ("x2apic-enabled")
 *
 * The APIC mode a topology was built with.
 */
typedef enum
{
  HULL_APIC_MODE_XAPIC,
  HULL_APIC_MODE_X2APIC_SUPPORTED,
  HULL_APIC_MODE_X2APIC_ENABLED,
} HullApicMode;

/**
 * HULL_TOPOLOGY_MAX_VPS_PER_SOCKET:
 *
 * The largest number of VPs in one socket (dies × cores × threads).
 */
#define HULL_TOPOLOGY_MAX_VPS_PER_SOCKET 32768

/**
 * HULL_TOPOLOGY_MAX_VPS:
 *
 * The largest number of VPs hull_processor_topology_new() builds. It bounds
 * the allocation; no backend Hull supports comes near it.
 */
#define HULL_TOPOLOGY_MAX_VPS 65536

/**
 * HullVpInfo:
 * @vp_index: the dense VP index; VP 0 is the bootstrap processor
 * @apic_id: the initial APIC id
 * @socket: the socket (package) number, as encoded in @apic_id
 * @die: the die within the socket
 * @core: the core within the die
 * @thread: the thread within the core
 * @vnode: the virtual NUMA node
 *
 * One virtual processor.
 */
typedef struct
{
  guint vp_index;
  guint32 apic_id;
  guint socket;
  guint die;
  guint core;
  guint thread;
  guint vnode;
} HullVpInfo;

/**
 * HullProcessorTopology:
 *
 * An immutable, validated set of VPs with their APIC ids and APIC mode.
 * Any thread may read it.
 */
typedef struct _HullProcessorTopology HullProcessorTopology;

/**
 * hull_x2apic_request_to_string:
 * @r: a #HullX2ApicRequest
 *
 * Returns: (transfer none): "supported", "unsupported" or "enabled"; %NULL
 *   for a value that is not a request.
 */
const char *hull_x2apic_request_to_string (HullX2ApicRequest r);

/**
 * hull_x2apic_request_from_string:
 * @s: "supported", "unsupported" or "enabled"
 * @out: (out): where to store the request
 *
 * Parses the domain XML spelling of a #HullX2ApicRequest. @out is left
 * untouched when @s is not one of the names.
 *
 * Returns: %TRUE if @s names a request.
 */
gboolean hull_x2apic_request_from_string (const char *s, HullX2ApicRequest *out);
gboolean hull_apic_mode_from_string (const char *s, HullApicMode *out);

/**
 * hull_apic_mode_to_string:
 * @m: a #HullApicMode
 *
 * Returns: (transfer none): "xapic", "x2apic-supported" or "x2apic-enabled";
 *   %NULL for a value that is not a mode.
 */
const char *hull_apic_mode_to_string (HullApicMode m);

/**
 * hull_processor_topology_new:
 * @sockets: number of sockets, at least 1
 * @dies: dies per socket, at least 1
 * @cores: cores per die, at least 1
 * @threads: threads per core, 1 or 2
 * @x2apic: the requested x2APIC support
 * @apic_id_offset: APIC id of the first VP's socket base; rounded down to a
 *   multiple of the socket stride
 * @error: return location for a #GError, or %NULL
 *
 * Builds @sockets × @dies × @cores × @threads VPs, numbered densely (VP 0 is
 * the BSP). With R the next power of two ≥ dies × cores × threads (the VPs
 * per socket), VP n is on socket apic_id_offset / R + n / (VPs per socket)
 * and has APIC id socket × R + n % (VPs per socket).
 *
 * Fails with %HULL_ERROR_INVALID_ARGUMENT for a zero count or more than 2
 * threads per core, and with %HULL_ERROR_LIMIT_EXCEEDED when a socket would
 * hold more than %HULL_TOPOLOGY_MAX_VPS_PER_SOCKET VPs, the VP count
 * overflows or passes %HULL_TOPOLOGY_MAX_VPS, an APIC id does not fit in
 * 32 bits, or an APIC id ≥ 255 is needed while @x2apic is
 * %HULL_X2APIC_REQUEST_UNSUPPORTED.
 *
 * Returns: (transfer full): a new topology, free with
 *   hull_processor_topology_free(); %NULL on error.
 */
HullProcessorTopology *hull_processor_topology_new (guint sockets, guint dies, guint cores,
                                                    guint threads, HullX2ApicRequest x2apic,
                                                    guint32 apic_id_offset, GError **error);

/**
 * hull_processor_topology_new_from_vps:
 * @vps: (array length=n_vps): the VPs, in index order
 * @n_vps: number of entries in @vps
 * @vps_per_socket: VPs per socket, 1 to %HULL_TOPOLOGY_MAX_VPS_PER_SOCKET
 * @smt_requested: whether the VPs are SMT threads
 * @x2apic: the requested x2APIC support
 * @error: return location for a #GError, or %NULL
 *
 * Builds a topology from explicit VPs (the reference's build_with_vp_info).
 * @vps[i].vp_index must be i. SMT is enabled when @smt_requested and
 * @vps_per_socket > 1. The APIC mode follows the same table as
 * hull_processor_topology_new(), from the highest APIC id in @vps.
 *
 * Fails with %HULL_ERROR_INVALID_ARGUMENT for an empty list, non-dense
 * indices or a zero @vps_per_socket, and with %HULL_ERROR_LIMIT_EXCEEDED for
 * a @vps_per_socket above the limit or an APIC id ≥ 255 without x2APIC.
 *
 * Returns: (transfer full): a new topology holding a copy of @vps, free with
 *   hull_processor_topology_free(); %NULL on error.
 */
HullProcessorTopology *hull_processor_topology_new_from_vps (const HullVpInfo *vps, guint n_vps,
                                                             guint vps_per_socket,
                                                             gboolean smt_requested,
                                                             HullX2ApicRequest x2apic,
                                                             GError **error);

/**
 * hull_processor_topology_free:
 * @t: (nullable) (transfer full): a topology
 *
 * Frees @t and its VPs.
 */
void hull_processor_topology_free (HullProcessorTopology *t);

/**
 * hull_processor_topology_get_vp_count:
 * @t: a topology
 *
 * Returns: the number of VPs, at least 1.
 */
guint hull_processor_topology_get_vp_count (const HullProcessorTopology *t);

/**
 * hull_processor_topology_get_vp:
 * @t: a topology
 * @vp_index: a VP index below hull_processor_topology_get_vp_count()
 *
 * Returns: (transfer none): the VP, owned by @t.
 */
const HullVpInfo *hull_processor_topology_get_vp (const HullProcessorTopology *t, guint vp_index);

/**
 * hull_processor_topology_get_vps_per_socket:
 * @t: a topology
 *
 * Returns: the VPs per socket (dies × cores × threads).
 */
guint hull_processor_topology_get_vps_per_socket (const HullProcessorTopology *t);

/**
 * hull_processor_topology_get_sockets:
 * @t: a topology
 *
 * Returns: the number of distinct sockets the VPs are on.
 */
guint hull_processor_topology_get_sockets (const HullProcessorTopology *t);

/**
 * hull_processor_topology_get_smt_enabled:
 * @t: a topology
 *
 * Returns: whether the VPs are SMT threads (threads per core > 1 and more
 *   than one VP per socket).
 */
gboolean hull_processor_topology_get_smt_enabled (const HullProcessorTopology *t);

/**
 * hull_processor_topology_get_apic_mode:
 * @t: a topology
 *
 * Returns: the APIC mode chosen from the request and the highest APIC id.
 */
HullApicMode hull_processor_topology_get_apic_mode (const HullProcessorTopology *t);

/**
 * hull_processor_topology_get_max_apic_id:
 * @t: a topology
 *
 * Returns: the highest APIC id of any VP.
 */
guint32 hull_processor_topology_get_max_apic_id (const HullProcessorTopology *t);

/**
 * hull_processor_topology_to_variant:
 * @t: a topology
 *
 * Describes @t for inspect and D-Bus as an a{sv} with keys vp-count (u),
 * sockets (u), vps-per-socket (u), smt (b), apic-mode (s) and vps (aa{sv},
 * each with index, apic-id, socket, die, core, thread and vnode, all u).
 *
 * Returns: (transfer floating): a new floating #GVariant.
 */
GVariant *hull_processor_topology_to_variant (const HullProcessorTopology *t);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullProcessorTopology, hull_processor_topology_free)

G_END_DECLS
