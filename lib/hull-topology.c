/* hull-topology.c — x86 processor topology and APIC ids (OpenVMM's
 * vm_topology processor/x86.rs). */
#include "config.h"

#include "hull-topology.h"

#include "hull-enum.h"
#include "hull-error.h"
#include "hull-i18n.h"

/* x86 has at most 2 threads per core (the reference's from_cpuid limit). */
#define MAX_THREADS_PER_CORE 2

/* An xAPIC id is 8 bits and 0xff is the broadcast id, so 254 is the highest
 * id a VP can have without x2APIC. */
#define XAPIC_ID_LIMIT 255

/* 0xffffffff is the x2APIC broadcast id. */
#define X2APIC_MAX_ID G_GUINT64_CONSTANT (0xfffffffe)

struct _HullProcessorTopology
{
  HullVpInfo *vps;
  guint n_vps;
  guint vps_per_socket;
  guint sockets;
  gboolean smt_enabled;
  HullApicMode apic_mode;
  guint32 max_apic_id;
};

HULL_ENUM_IMPL (hull_x2apic_request, HullX2ApicRequest, "supported", "unsupported", "enabled")
HULL_ENUM_IMPL (hull_apic_mode, HullApicMode, "xapic", "x2apic-supported", "x2apic-enabled")

static gboolean
check_vps_per_socket (guint vps_per_socket, GError **error)
{
  if (vps_per_socket == 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("processor topology: %u VPs per socket, must be at least 1"), vps_per_socket);
      return FALSE;
    }
  if (vps_per_socket > HULL_TOPOLOGY_MAX_VPS_PER_SOCKET)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                   _ ("processor topology: %u VPs per socket exceeds the limit of %u"),
                   vps_per_socket, (guint)HULL_TOPOLOGY_MAX_VPS_PER_SOCKET);
      return FALSE;
    }
  return TRUE;
}

/* The x2APIC decision table of the reference. */
static gboolean
choose_apic_mode (HullX2ApicRequest x2apic, guint32 max_apic_id, HullApicMode *mode, GError **error)
{
  gboolean needs_x2apic = max_apic_id >= XAPIC_ID_LIMIT;

  switch (x2apic)
    {
      case HULL_X2APIC_REQUEST_SUPPORTED:
        *mode = needs_x2apic ? HULL_APIC_MODE_X2APIC_ENABLED : HULL_APIC_MODE_X2APIC_SUPPORTED;
        return TRUE;
      case HULL_X2APIC_REQUEST_UNSUPPORTED:
        if (needs_x2apic)
          {
            g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                         _ ("processor topology: APIC id %u needs x2APIC (xAPIC ids stop at %u), "
                            "but x2APIC is unsupported"),
                         max_apic_id, (guint)XAPIC_ID_LIMIT - 1);
            return FALSE;
          }
        *mode = HULL_APIC_MODE_XAPIC;
        return TRUE;
      case HULL_X2APIC_REQUEST_ENABLED:
        *mode = HULL_APIC_MODE_X2APIC_ENABLED;
        return TRUE;
    }
  g_return_val_if_reached (FALSE);
}

static guint
count_sockets (const HullVpInfo *vps, guint n_vps)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);

  /* A set: NULL (socket 0) is a valid key with g_direct_hash. */
  for (guint i = 0; i < n_vps; i++)
    g_hash_table_add (seen, GUINT_TO_POINTER (vps[i].socket));
  return g_hash_table_size (seen);
}

static HullProcessorTopology *
topology_finish (HullVpInfo *vps, guint n_vps, guint vps_per_socket, gboolean smt_requested,
                 HullX2ApicRequest x2apic, GError **error)
{
  g_autofree HullVpInfo *owned = vps;
  HullProcessorTopology *t;
  guint32 max_apic_id = 0;
  HullApicMode mode;

  for (guint i = 0; i < n_vps; i++)
    max_apic_id = MAX (max_apic_id, vps[i].apic_id);

  if (!choose_apic_mode (x2apic, max_apic_id, &mode, error))
    return NULL;

  t = g_new0 (HullProcessorTopology, 1);
  t->vps = g_steal_pointer (&owned);
  t->n_vps = n_vps;
  t->vps_per_socket = vps_per_socket;
  t->sockets = count_sockets (t->vps, n_vps);
  t->smt_enabled = smt_requested && vps_per_socket > 1;
  t->apic_mode = mode;
  t->max_apic_id = max_apic_id;
  return t;
}

HullProcessorTopology *
hull_processor_topology_new (guint sockets, guint dies, guint cores, guint threads,
                             HullX2ApicRequest x2apic, guint32 apic_id_offset, GError **error)
{
  guint vps_per_socket, n_vps, stride;
  guint64 first_socket, max_apic_id;
  HullVpInfo *vps;

  g_return_val_if_fail (hull_x2apic_request_to_string (x2apic) != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (sockets == 0 || dies == 0 || cores == 0 || threads == 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("processor topology: %u sockets, %u dies, %u cores, %u threads: "
                      "every count must be at least 1"),
                   sockets, dies, cores, threads);
      return NULL;
    }
  if (threads > MAX_THREADS_PER_CORE)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("processor topology: %u threads per core, x86 supports at most %u"), threads,
                   (guint)MAX_THREADS_PER_CORE);
      return NULL;
    }
  if (!g_uint_checked_mul (&vps_per_socket, dies, cores)
      || !g_uint_checked_mul (&vps_per_socket, vps_per_socket, threads))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                   _ ("processor topology: %u dies × %u cores × %u threads overflows"), dies, cores,
                   threads);
      return NULL;
    }
  if (!check_vps_per_socket (vps_per_socket, error))
    return NULL;
  /* Guests decode an APIC id as power-of-two fields (thread, core, die,
   * socket; CPUID 0xB/0x1F). The reference's rule numbers VPs densely
   * within a socket, which matches those fields only when each die's part
   * is a power of two. */
  if (dies > 1 && (cores * threads & (cores * threads - 1)) != 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("processor topology: %u dies of %u cores × %u threads: with more than one "
                      "die, cores × threads must be a power of two so guests can decode APIC ids"),
                   dies, cores, threads);
      return NULL;
    }
  if (!g_uint_checked_mul (&n_vps, sockets, vps_per_socket))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                   _ ("processor topology: %u sockets × %u VPs per socket overflows"), sockets,
                   vps_per_socket);
      return NULL;
    }
  if (n_vps > HULL_TOPOLOGY_MAX_VPS)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                   _ ("processor topology: %u sockets × %u VPs per socket is %u VPs, "
                      "more than the limit of %u"),
                   sockets, vps_per_socket, n_vps, (guint)HULL_TOPOLOGY_MAX_VPS);
      return NULL;
    }

  /* R: the socket stride in APIC id space. */
  stride = 1;
  while (stride < vps_per_socket)
    stride <<= 1;

  /* first_socket + sockets < 2^33 and stride <= 2^15: no 64-bit overflow. */
  first_socket = apic_id_offset / stride;
  max_apic_id = (first_socket + sockets - 1) * stride + vps_per_socket - 1;
  if (max_apic_id > X2APIC_MAX_ID)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                   _ ("processor topology: APIC id offset 0x%x with %u sockets of %u VPs "
                      "(stride %u) needs APIC ids above 0xfffffffe, the highest below the "
                      "x2APIC broadcast id"),
                   apic_id_offset, sockets, vps_per_socket, stride);
      return NULL;
    }

  vps = g_new0 (HullVpInfo, n_vps);
  for (guint n = 0; n < n_vps; n++)
    {
      guint i = n % vps_per_socket;
      HullVpInfo *vp = &vps[n];

      vp->vp_index = n;
      vp->socket = (guint)first_socket + n / vps_per_socket;
      vp->apic_id = vp->socket * stride + i;
      vp->thread = i % threads;
      vp->core = (i / threads) % cores;
      vp->die = i / (threads * cores);
      vp->vnode = n / vps_per_socket;
    }

  return topology_finish (vps, n_vps, vps_per_socket, threads > 1, x2apic, error);
}

HullProcessorTopology *
hull_processor_topology_new_from_vps (const HullVpInfo *vps, guint n_vps, guint vps_per_socket,
                                      gboolean smt_requested, HullX2ApicRequest x2apic,
                                      GError **error)
{
  g_return_val_if_fail (n_vps == 0 || vps != NULL, NULL);
  g_return_val_if_fail (hull_x2apic_request_to_string (x2apic) != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (n_vps == 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("processor topology: no VPs"));
      return NULL;
    }
  for (guint i = 0; i < n_vps; i++)
    {
      if (vps[i].vp_index != i)
        {
          g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                       _ ("processor topology: VP %u at position %u: VP indices must be dense "
                          "and in order, 0 to %u"),
                       vps[i].vp_index, i, n_vps - 1);
          return NULL;
        }
    }
  if (!check_vps_per_socket (vps_per_socket, error))
    return NULL;

  return topology_finish (g_memdup2 (vps, sizeof (HullVpInfo) * n_vps), n_vps, vps_per_socket,
                          smt_requested, x2apic, error);
}

void
hull_processor_topology_free (HullProcessorTopology *t)
{
  if (t == NULL)
    return;
  g_free (t->vps);
  g_free (t);
}

guint
hull_processor_topology_get_vp_count (const HullProcessorTopology *t)
{
  g_return_val_if_fail (t != NULL, 0);
  return t->n_vps;
}

const HullVpInfo *
hull_processor_topology_get_vp (const HullProcessorTopology *t, guint vp_index)
{
  g_return_val_if_fail (t != NULL, NULL);
  g_return_val_if_fail (vp_index < t->n_vps, NULL);
  return &t->vps[vp_index];
}

guint
hull_processor_topology_get_vps_per_socket (const HullProcessorTopology *t)
{
  g_return_val_if_fail (t != NULL, 0);
  return t->vps_per_socket;
}

guint
hull_processor_topology_get_sockets (const HullProcessorTopology *t)
{
  g_return_val_if_fail (t != NULL, 0);
  return t->sockets;
}

gboolean
hull_processor_topology_get_smt_enabled (const HullProcessorTopology *t)
{
  g_return_val_if_fail (t != NULL, FALSE);
  return t->smt_enabled;
}

HullApicMode
hull_processor_topology_get_apic_mode (const HullProcessorTopology *t)
{
  g_return_val_if_fail (t != NULL, HULL_APIC_MODE_XAPIC);
  return t->apic_mode;
}

guint32
hull_processor_topology_get_max_apic_id (const HullProcessorTopology *t)
{
  g_return_val_if_fail (t != NULL, 0);
  return t->max_apic_id;
}

GVariant *
hull_processor_topology_to_variant (const HullProcessorTopology *t)
{
  GVariantBuilder b, vps;

  g_return_val_if_fail (t != NULL, NULL);

  g_variant_builder_init (&vps, G_VARIANT_TYPE ("aa{sv}"));
  for (guint n = 0; n < t->n_vps; n++)
    {
      const HullVpInfo *vp = &t->vps[n];

      g_variant_builder_open (&vps, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&vps, "{sv}", "index", g_variant_new_uint32 (vp->vp_index));
      g_variant_builder_add (&vps, "{sv}", "apic-id", g_variant_new_uint32 (vp->apic_id));
      g_variant_builder_add (&vps, "{sv}", "socket", g_variant_new_uint32 (vp->socket));
      g_variant_builder_add (&vps, "{sv}", "die", g_variant_new_uint32 (vp->die));
      g_variant_builder_add (&vps, "{sv}", "core", g_variant_new_uint32 (vp->core));
      g_variant_builder_add (&vps, "{sv}", "thread", g_variant_new_uint32 (vp->thread));
      g_variant_builder_add (&vps, "{sv}", "vnode", g_variant_new_uint32 (vp->vnode));
      g_variant_builder_close (&vps);
    }

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "vp-count", g_variant_new_uint32 (t->n_vps));
  g_variant_builder_add (&b, "{sv}", "sockets", g_variant_new_uint32 (t->sockets));
  g_variant_builder_add (&b, "{sv}", "vps-per-socket", g_variant_new_uint32 (t->vps_per_socket));
  g_variant_builder_add (&b, "{sv}", "smt", g_variant_new_boolean (t->smt_enabled));
  g_variant_builder_add (&b, "{sv}", "apic-mode",
                         g_variant_new_string (hull_apic_mode_to_string (t->apic_mode)));
  g_variant_builder_add (&b, "{sv}", "vps", g_variant_builder_end (&vps));
  return g_variant_builder_end (&b);
}
