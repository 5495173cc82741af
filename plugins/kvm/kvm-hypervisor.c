/* kvm-hypervisor.c — the `kvm` backend's module, hypervisor and proto
 * partition: opens /dev/kvm, checks what it supports, proves it runs guest
 * code (the probe) and checks a domain's settings before a build.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gmodule.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hull-backend.h"
#include "hull-error.h"
#include "hull-i18n.h"

#include "kvm-private.h"

#define KVM_DEVICE "/dev/kvm"
#define KVM_PROBE_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define KVM_PROBE_RUNS 3

static const HullHypervisorOps kvm_hypervisor_ops;
static const HullProtoPartitionOps kvm_proto_partition_ops;

/* ------------------------------------------------------------------ */
/* Helpers shared by the backend's files */

static const char *const exit_names[] = {
  [KVM_EXIT_UNKNOWN] = "KVM_EXIT_UNKNOWN",
  [KVM_EXIT_EXCEPTION] = "KVM_EXIT_EXCEPTION",
  [KVM_EXIT_IO] = "KVM_EXIT_IO",
  [KVM_EXIT_HYPERCALL] = "KVM_EXIT_HYPERCALL",
  [KVM_EXIT_DEBUG] = "KVM_EXIT_DEBUG",
  [KVM_EXIT_HLT] = "KVM_EXIT_HLT",
  [KVM_EXIT_MMIO] = "KVM_EXIT_MMIO",
  [KVM_EXIT_IRQ_WINDOW_OPEN] = "KVM_EXIT_IRQ_WINDOW_OPEN",
  [KVM_EXIT_SHUTDOWN] = "KVM_EXIT_SHUTDOWN",
  [KVM_EXIT_FAIL_ENTRY] = "KVM_EXIT_FAIL_ENTRY",
  [KVM_EXIT_INTR] = "KVM_EXIT_INTR",
  [KVM_EXIT_SET_TPR] = "KVM_EXIT_SET_TPR",
  [KVM_EXIT_TPR_ACCESS] = "KVM_EXIT_TPR_ACCESS",
  [KVM_EXIT_NMI] = "KVM_EXIT_NMI",
  [KVM_EXIT_INTERNAL_ERROR] = "KVM_EXIT_INTERNAL_ERROR",
  [KVM_EXIT_OSI] = "KVM_EXIT_OSI",
  [KVM_EXIT_WATCHDOG] = "KVM_EXIT_WATCHDOG",
  [KVM_EXIT_EPR] = "KVM_EXIT_EPR",
  [KVM_EXIT_SYSTEM_EVENT] = "KVM_EXIT_SYSTEM_EVENT",
  [KVM_EXIT_IOAPIC_EOI] = "KVM_EXIT_IOAPIC_EOI",
  [KVM_EXIT_HYPERV] = "KVM_EXIT_HYPERV",
  [KVM_EXIT_X86_RDMSR] = "KVM_EXIT_X86_RDMSR",
  [KVM_EXIT_X86_WRMSR] = "KVM_EXIT_X86_WRMSR",
  [KVM_EXIT_DIRTY_RING_FULL] = "KVM_EXIT_DIRTY_RING_FULL",
  [KVM_EXIT_X86_BUS_LOCK] = "KVM_EXIT_X86_BUS_LOCK",
};

/**
 * kvm_exit_reason_name:
 * @reason: a kvm_run exit_reason
 *
 * Returns: (transfer none): its KVM_EXIT_* name, or "other" when unknown here.
 */
const char *
kvm_exit_reason_name (guint32 reason)
{
  if (reason < G_N_ELEMENTS (exit_names) && exit_names[reason] != NULL)
    return exit_names[reason];
  return "other";
}

/* Counters with one writer and readers on any thread. */
void
kvm_counter_add (guint64 *counter, guint64 n)
{
  __atomic_store_n (counter, __atomic_load_n (counter, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

guint64
kvm_counter_get (const guint64 *counter)
{
  return __atomic_load_n (counter, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ */
/* Hypervisor */

static KvmHypervisor *
kvm_hypervisor (HullHypervisor *hypervisor)
{
  return (KvmHypervisor *)hypervisor;
}

static gboolean unavailable (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
unavailable (GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, HULL_ERROR, HULL_ERROR_BACKEND_UNAVAILABLE, message);
  return FALSE;
}

static int
check_extension (int fd, int cap)
{
  int r = ioctl (fd, KVM_CHECK_EXTENSION, cap);

  return r < 0 ? 0 : r;
}

/* The capabilities the backend cannot do without. */
static const struct
{
  int cap;
  const char *name;
} required_caps[] = {
  { KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
  { KVM_CAP_PIT2, "KVM_CAP_PIT2" },
  { KVM_CAP_PIT_STATE2, "KVM_CAP_PIT_STATE2" },
  { KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
  { KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
  { KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR" },
  { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
  { KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
  { KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE" },
  { KVM_CAP_VCPU_EVENTS, "KVM_CAP_VCPU_EVENTS" },
  { KVM_CAP_XSAVE, "KVM_CAP_XSAVE" },
  { KVM_CAP_XCRS, "KVM_CAP_XCRS" },
  { KVM_CAP_DEBUGREGS, "KVM_CAP_DEBUGREGS" },
  { KVM_CAP_SET_GUEST_DEBUG, "KVM_CAP_SET_GUEST_DEBUG" },
  { KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI" },
  { KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
  { KVM_CAP_ADJUST_CLOCK, "KVM_CAP_ADJUST_CLOCK" },
};

static struct kvm_cpuid2 *
get_supported_cpuid (int fd, GError **error)
{
  for (guint n = 128; n <= 4096; n *= 2)
    {
      struct kvm_cpuid2 *cpuid = g_malloc0 (sizeof *cpuid + n * sizeof cpuid->entries[0]);

      cpuid->nent = n;
      if (ioctl (fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
        return cpuid;
      g_free (cpuid);
      if (errno != E2BIG)
        {
          unavailable (error, _ ("KVM_GET_SUPPORTED_CPUID on %s failed: %s"), KVM_DEVICE,
                       g_strerror (errno));
          return NULL;
        }
    }
  unavailable (error, _ ("KVM_GET_SUPPORTED_CPUID on %s returns more than 4096 leaves"),
               KVM_DEVICE);
  return NULL;
}

static void
kvm_hypervisor_close (HullHypervisor *hypervisor)
{
  KvmHypervisor *self = kvm_hypervisor (hypervisor);

  if (self == NULL)
    return;
  if (self->own_fd && self->fd >= 0)
    close (self->fd);
  g_free (self->supported_cpuid);
  g_free (self);
}

static gboolean
check_device (KvmHypervisor *self, GError **error)
{
  int version, n;

  version = ioctl (self->fd, KVM_GET_API_VERSION, 0);
  if (version < 0)
    return unavailable (error, _ ("%s is not a KVM device: KVM_GET_API_VERSION failed: %s"),
                        KVM_DEVICE, g_strerror (errno));
  if (version != KVM_API_VERSION)
    return unavailable (error, _ ("KVM API version %d, Hull needs %d"), version, KVM_API_VERSION);

  for (guint i = 0; i < G_N_ELEMENTS (required_caps); i++)
    if (check_extension (self->fd, required_caps[i].cap) <= 0)
      return unavailable (error, _ ("missing capability %s"), required_caps[i].name);

  n = ioctl (self->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (n < (int)sizeof (struct kvm_run))
    return unavailable (error, _ ("KVM_GET_VCPU_MMAP_SIZE on %s failed: %s"), KVM_DEVICE,
                        n < 0 ? g_strerror (errno) : _ ("too small"));
  self->run_size = (gsize)n;

  n = check_extension (self->fd, KVM_CAP_MAX_VCPUS);
  if (n <= 0)
    n = check_extension (self->fd, KVM_CAP_NR_VCPUS);
  self->max_vcpus = n > 0 ? (guint)n : 4;
  n = check_extension (self->fd, KVM_CAP_MAX_VCPU_ID);
  self->max_vcpu_id = n > 0 ? (guint)n : self->max_vcpus;
  self->has_x2apic_api
      = (check_extension (self->fd, KVM_CAP_X2APIC_API) & KVM_X2APIC_API_USE_32BIT_IDS) != 0;
  n = check_extension (self->fd, KVM_CAP_XSAVE2);
  self->xsave_size = MAX ((gsize)MAX (n, 0), sizeof (struct kvm_xsave));

  self->supported_cpuid = get_supported_cpuid (self->fd, error);
  return self->supported_cpuid != NULL;
}

static HullHypervisor *
kvm_hypervisor_open (const HullHypervisorConfig *config, GError **error)
{
  KvmHypervisor *self = g_new0 (KvmHypervisor, 1);

  self->parent.ops = &kvm_hypervisor_ops;
  self->speed = HULL_EXECUTION_UNKNOWN;
  if (config != NULL && config->device_fd >= 0)
    {
      self->fd = config->device_fd;
      self->own_fd = FALSE;
    }
  else
    {
      self->own_fd = TRUE;
      self->fd = open (KVM_DEVICE, O_RDWR | O_CLOEXEC);
      if (self->fd < 0)
        {
          int e = errno;

          if (e == ENOENT || e == ENODEV || e == ENXIO)
            unavailable (error, _ ("%s does not exist (is the kvm module loaded?)"), KVM_DEVICE);
          else if (e == EACCES || e == EPERM)
            unavailable (error, _ ("permission denied opening %s (add the user to group kvm)"),
                         KVM_DEVICE);
          else
            unavailable (error, _ ("cannot open %s: %s"), KVM_DEVICE, g_strerror (e));
          kvm_hypervisor_close (&self->parent);
          return NULL;
        }
    }

  if (!check_device (self, error))
    {
      kvm_hypervisor_close (&self->parent);
      return NULL;
    }

  self->test_entry_delay_us = strtoul (g_getenv ("HULL_KVM_TEST_ENTRY_DELAY_US") ?: "0", NULL, 10);
  kvm_kick_signal_install ();
  return &self->parent;
}

/* ------------------------------------------------------------------ */
/* Probe: real mode, one page at guest address 0 */

/* 0x00 mov al, 0x42     0x02 out 0x80, al     0x04 hlt
 * 0x05 mov ecx, LOOPS   0x0b dec ecx          0x0d jnz 0x0b
 * 0x0f out 0x81, al     0x11 jmp 0x05 */
static const guint8 probe_code[] = {
  0xb0,
  0x42,
  0xe6,
  0x80,
  0xf4,
  0x66,
  0xb9,
  KVM_PROBE_LOOPS & 0xff,
  (KVM_PROBE_LOOPS >> 8) & 0xff,
  0x00,
  0x00,
  0x66,
  0x49,
  0x75,
  0xfc,
  0xe6,
  0x81,
  0xeb,
  0xf2,
};
#define PROBE_INSNS (2 * KVM_PROBE_LOOPS + 3)

typedef struct
{
  int vm_fd;
  int vcpu_fd;
  guint8 *memory;
  struct kvm_run *run;
  gsize run_size;

  /* The watchdog: kicks the probing thread out of a guest that never exits. */
  HullMutex lock;
  HullCond done_cond;
  gboolean done;
  gint timed_out;
  pthread_t thread;
} Probe;

static gpointer
probe_watchdog (gpointer data)
{
  Probe *probe = data;
  gint64 deadline = g_get_monotonic_time () + KVM_PROBE_TIMEOUT_US;

  hull_mutex_lock (&probe->lock);
  while (!probe->done)
    if (!hull_cond_wait_until (&probe->done_cond, &probe->lock, deadline))
      {
        g_atomic_int_set (&probe->timed_out, 1);
        __atomic_store_n (&probe->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
        pthread_kill (probe->thread, SIGRTMIN);
        deadline = g_get_monotonic_time () + KVM_PROBE_TIMEOUT_US;
      }
  hull_mutex_unlock (&probe->lock);
  return NULL;
}

/* Runs until an exit; FALSE (with @error) when KVM_RUN fails or times out. */
static gboolean
probe_run (Probe *probe, gint64 *elapsed_ns, GError **error)
{
  struct timespec t0, t1;
  int r;

  clock_gettime (CLOCK_MONOTONIC, &t0);
  do
    r = ioctl (probe->vcpu_fd, KVM_RUN, 0);
  while (r < 0 && (errno == EINTR || errno == EAGAIN) && !g_atomic_int_get (&probe->timed_out));
  clock_gettime (CLOCK_MONOTONIC, &t1);
  if (elapsed_ns != NULL)
    *elapsed_ns
        = (t1.tv_sec - t0.tv_sec) * G_GINT64_CONSTANT (1000000000) + (t1.tv_nsec - t0.tv_nsec);
  if (g_atomic_int_get (&probe->timed_out))
    return unavailable (error, _ ("probe: the guest did not exit within %u s"),
                        (guint)(KVM_PROBE_TIMEOUT_US / G_USEC_PER_SEC));
  if (r < 0)
    return unavailable (error, _ ("probe: KVM_RUN failed: %s"), g_strerror (errno));
  return TRUE;
}

static gboolean
probe_expect_out (Probe *probe, guint16 port, guint8 value, GError **error)
{
  struct kvm_run *run = probe->run;

  if (run->exit_reason != KVM_EXIT_IO || run->io.direction != KVM_EXIT_IO_OUT
      || run->io.port != port || run->io.size != 1 || run->io.count != 1
      || ((guint8 *)run)[run->io.data_offset] != value)
    return unavailable (
        error, _ ("probe: expected OUT 0x%x to port 0x%x, got %s (port 0x%x, size %u)"), value,
        port, kvm_exit_reason_name (run->exit_reason), run->io.port, run->io.size);
  return TRUE;
}

static gboolean
probe_setup (Probe *probe, KvmHypervisor *self, GError **error)
{
  struct kvm_userspace_memory_region region = { 0 };
  struct kvm_sregs sregs;
  struct kvm_regs regs = { 0 };

  probe->vm_fd = ioctl (self->fd, KVM_CREATE_VM, 0);
  if (probe->vm_fd < 0)
    return unavailable (error, _ ("probe: KVM_CREATE_VM failed: %s"), g_strerror (errno));
  probe->memory = mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (probe->memory == MAP_FAILED)
    {
      probe->memory = NULL;
      return unavailable (error, _ ("probe: cannot map guest memory: %s"), g_strerror (errno));
    }
  memcpy (probe->memory, probe_code, sizeof probe_code);
  region.memory_size = 4096;
  region.userspace_addr = (guint64)(guintptr)probe->memory;
  if (ioctl (probe->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDRESS) < 0
      || ioctl (probe->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
    return unavailable (error, _ ("probe: cannot set up the VM: %s"), g_strerror (errno));
  probe->vcpu_fd = ioctl (probe->vm_fd, KVM_CREATE_VCPU, 0);
  if (probe->vcpu_fd < 0)
    return unavailable (error, _ ("probe: KVM_CREATE_VCPU failed: %s"), g_strerror (errno));
  probe->run_size = self->run_size;
  probe->run = mmap (NULL, self->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, probe->vcpu_fd, 0);
  if (probe->run == MAP_FAILED)
    {
      probe->run = NULL;
      return unavailable (error, _ ("probe: cannot map kvm_run: %s"), g_strerror (errno));
    }
  if (ioctl (probe->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
    return unavailable (error, _ ("probe: KVM_GET_SREGS failed: %s"), g_strerror (errno));
  sregs.cs.base = 0;
  sregs.cs.selector = 0;
  regs.rflags = 2;
  if (ioctl (probe->vcpu_fd, KVM_SET_SREGS, &sregs) < 0
      || ioctl (probe->vcpu_fd, KVM_SET_REGS, &regs) < 0)
    return unavailable (error, _ ("probe: cannot set the registers: %s"), g_strerror (errno));
  return TRUE;
}

static void
probe_teardown (Probe *probe)
{
  if (probe->run != NULL)
    munmap (probe->run, probe->run_size);
  if (probe->vcpu_fd >= 0)
    close (probe->vcpu_fd);
  if (probe->memory != NULL)
    munmap (probe->memory, 4096);
  if (probe->vm_fd >= 0)
    close (probe->vm_fd);
}

/* OUT 0x80 then HLT (no irqchip, so HLT exits), then the timed loop up to
 * OUT 0x81, KVM_PROBE_RUNS times, keeping the fastest run. */
static gboolean
probe_guest (Probe *probe, gint64 *best_ns, GError **error)
{
  if (!probe_run (probe, NULL, error) || !probe_expect_out (probe, 0x80, 0x42, error))
    return FALSE;
  if (!probe_run (probe, NULL, error))
    return FALSE;
  if (probe->run->exit_reason != KVM_EXIT_HLT)
    return unavailable (error, _ ("probe: expected KVM_EXIT_HLT, got %s"),
                        kvm_exit_reason_name (probe->run->exit_reason));

  *best_ns = G_MAXINT64;
  for (guint i = 0; i < KVM_PROBE_RUNS; i++)
    {
      gint64 ns;

      if (!probe_run (probe, &ns, error) || !probe_expect_out (probe, 0x81, 0x42, error))
        return FALSE;
      *best_ns = MIN (*best_ns, ns);
      if (*best_ns <= (gint64)PROBE_INSNS * KVM_PROBE_HARDWARE_MAX_NS_PER_INSN)
        break;
    }
  return TRUE;
}

static gboolean
kvm_hypervisor_probe (HullHypervisor *hypervisor, HullExecutionSpeed *speed, GError **error)
{
  KvmHypervisor *self = kvm_hypervisor (hypervisor);
  Probe probe = { .vm_fd = -1, .vcpu_fd = -1 };
  sigset_t kick, old_mask;
  GThread *watchdog = NULL;
  gint64 best_ns = 0;
  gboolean ok;

  /* The watchdog's kick must reach this thread while it is in KVM_RUN. */
  sigemptyset (&kick);
  sigaddset (&kick, SIGRTMIN);
  pthread_sigmask (SIG_UNBLOCK, &kick, &old_mask);
  hull_mutex_init (&probe.lock);
  hull_cond_init (&probe.done_cond);
  probe.thread = pthread_self ();

  ok = probe_setup (&probe, self, error);
  if (ok)
    {
      watchdog = g_thread_new ("hull-kvm-probe", probe_watchdog, &probe);
      ok = probe_guest (&probe, &best_ns, error);
      hull_mutex_lock (&probe.lock);
      probe.done = TRUE;
      hull_cond_signal (&probe.done_cond);
      hull_mutex_unlock (&probe.lock);
      g_thread_join (watchdog);
    }
  probe_teardown (&probe);
  hull_mutex_clear (&probe.lock);
  hull_cond_clear (&probe.done_cond);
  pthread_sigmask (SIG_SETMASK, &old_mask, NULL);
  if (!ok)
    return FALSE;

  self->probed = TRUE;
  self->probe_ps_per_insn = (guint64)best_ns * 1000 / PROBE_INSNS;
  self->speed = best_ns <= (gint64)PROBE_INSNS * KVM_PROBE_HARDWARE_MAX_NS_PER_INSN
                    ? HULL_EXECUTION_HARDWARE
                    : HULL_EXECUTION_EMULATED;
  g_debug ("probe: %u instructions in %" G_GINT64_FORMAT " ns (%.1f ns each): %s", PROBE_INSNS,
           best_ns, self->probe_ps_per_insn / 1000.0,
           self->speed == HULL_EXECUTION_HARDWARE ? "hardware" : "emulated");
  if (speed != NULL)
    *speed = self->speed;
  return TRUE;
}

/**
 * kvm_hypervisor_ensure_probed:
 * @self: the hypervisor
 *
 * Probes once [ctl], for a build that was not preceded by probe(); a failure
 * leaves the speed unknown (the build itself reports real problems).
 *
 * Returns: whether a probe result is cached.
 */
gboolean
kvm_hypervisor_ensure_probed (KvmHypervisor *self)
{
  g_autoptr (GError) error = NULL;

  if (self->probed)
    return TRUE;
  if (!kvm_hypervisor_probe (&self->parent, NULL, &error))
    {
      g_debug ("probe before build failed: %s", error->message);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Proto partition */

static gboolean
refuse (const HullDomainDef *def, const char *setting, GError **error)
{
  g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
               _ ("domain '%s': the kvm backend does not support %s"), def->name, setting);
  return FALSE;
}

static gboolean
check_def (KvmHypervisor *self, const HullDomainDef *def, const HullProcessorTopology *topology,
           GError **error)
{
  guint n_vps = hull_processor_topology_get_vp_count (topology);
  guint32 max_apic_id = hull_processor_topology_get_max_apic_id (topology);

  if (def->type != HULL_DOMAIN_TYPE_KVM)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
                   _ ("domain '%s': the kvm backend runs only domains of type 'kvm', not '%s'"),
                   def->name, hull_domain_type_to_string (def->type));
      return FALSE;
    }
  if (def->isolation != HULL_ISOLATION_NONE)
    return refuse (def, _ ("<hull:isolation> other than 'none'"), error);
  if (def->hyperv)
    return refuse (def, _ ("<hull:hyperv state='on'> (Hyper-V enlightenments)"), error);
  if (def->has_vtl2)
    return refuse (def, _ ("<hull:vtl2>"), error);
  if (def->user_mode_apic)
    return refuse (def, _ ("<hull:apic user-mode='yes'>"), error);
  if (n_vps > self->max_vcpus)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                   _ ("domain '%s': %u vCPUs, this host's KVM allows %u"), def->name, n_vps,
                   self->max_vcpus);
      return FALSE;
    }
  if (max_apic_id >= self->max_vcpu_id)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                   _ ("domain '%s': APIC id %u, this host's KVM allows vCPU ids below %u"),
                   def->name, max_apic_id, self->max_vcpu_id);
      return FALSE;
    }
  if (max_apic_id >= 255 && !self->has_x2apic_api)
    return refuse (def, _ ("APIC ids above 254 on a host without KVM_CAP_X2APIC_API"), error);
  return TRUE;
}

static KvmProtoPartition *
kvm_proto (HullProtoPartition *proto)
{
  return (KvmProtoPartition *)proto;
}

void
kvm_proto_partition_free (KvmProtoPartition *proto)
{
  if (proto == NULL)
    return;
  g_free (proto->apic_ids);
  g_free (proto->name);
  g_free (proto);
}

static void
kvm_proto_partition_free_op (HullProtoPartition *proto)
{
  kvm_proto_partition_free (kvm_proto (proto));
}

static guint8
kvm_proto_partition_max_physical_address_bits (HullProtoPartition *proto)
{
  return kvm_cpuid_physical_address_bits (kvm_proto (proto)->hypervisor->supported_cpuid);
}

static GArray *
kvm_proto_partition_cpuid (HullProtoPartition *proto, guint vp_index)
{
  KvmProtoPartition *self = kvm_proto (proto);
  g_autofree struct kvm_cpuid2 *cpuid = NULL;
  GArray *leaves;

  g_return_val_if_fail (vp_index < self->n_vps, NULL);

  cpuid = kvm_cpuid_for_vp (self->hypervisor->supported_cpuid, &self->topology,
                            self->apic_ids[vp_index]);
  leaves = g_array_sized_new (FALSE, TRUE, sizeof (HullCpuidLeaf), cpuid->nent);
  for (guint i = 0; i < cpuid->nent; i++)
    {
      const struct kvm_cpuid_entry2 *e = &cpuid->entries[i];
      HullCpuidLeaf leaf = { e->function, e->index, e->eax, e->ebx, e->ecx, e->edx };

      g_array_append_val (leaves, leaf);
    }
  return leaves;
}

static HullPartition *
kvm_proto_partition_build (HullProtoPartition *proto, const HullPartitionConfig *config,
                           HullProcessorBinder ***binders, GError **error)
{
  return kvm_partition_build (kvm_proto (proto), config, binders, error);
}

static const HullProtoPartitionOps kvm_proto_partition_ops = {
  .max_physical_address_bits = kvm_proto_partition_max_physical_address_bits,
  .cpuid = kvm_proto_partition_cpuid,
  .build = kvm_proto_partition_build,
  .free = kvm_proto_partition_free_op,
};

static HullProtoPartition *
kvm_hypervisor_new_proto_partition (HullHypervisor *hypervisor,
                                    const HullProtoPartitionConfig *config, GError **error)
{
  KvmHypervisor *hv = kvm_hypervisor (hypervisor);
  const HullProcessorTopology *topology;
  KvmProtoPartition *self;
  guint max_thread = 0;

  g_return_val_if_fail (config != NULL && config->def != NULL && config->topology != NULL, NULL);

  topology = config->topology;
  if (!check_def (hv, config->def, topology, error))
    return NULL;

  self = g_new0 (KvmProtoPartition, 1);
  self->parent.ops = &kvm_proto_partition_ops;
  self->hypervisor = hv;
  self->name = g_strdup (config->def->name);
  self->n_vps = hull_processor_topology_get_vp_count (topology);
  self->apic_ids = g_new (guint32, self->n_vps);
  for (guint i = 0; i < self->n_vps; i++)
    {
      const HullVpInfo *info = hull_processor_topology_get_vp (topology, i);

      self->apic_ids[i] = info->apic_id;
      max_thread = MAX (max_thread, info->thread);
    }
  self->topology.apic_mode = hull_processor_topology_get_apic_mode (topology);
  self->topology.vps_per_socket = hull_processor_topology_get_vps_per_socket (topology);
  self->topology.threads_per_core
      = hull_processor_topology_get_smt_enabled (topology) ? max_thread + 1 : 1;
  return &self->parent;
}

static const HullHypervisorOps kvm_hypervisor_ops = {
  .open = kvm_hypervisor_open,
  .probe = kvm_hypervisor_probe,
  .new_proto_partition = kvm_hypervisor_new_proto_partition,
  .close = kvm_hypervisor_close,
};

/* ------------------------------------------------------------------ */
/* Module */

static const HullBackendModule kvm_backend_module = {
  .abi_version = HULL_BACKEND_ABI_VERSION,
  .name = "kvm",
  .description = "Linux KVM (/dev/kvm) with the in-kernel irqchip",
  .hypervisor = &kvm_hypervisor_ops,
};

G_MODULE_EXPORT const HullBackendModule *hull_backend_module (void);

G_MODULE_EXPORT const HullBackendModule *
hull_backend_module (void)
{
  return &kvm_backend_module;
}
