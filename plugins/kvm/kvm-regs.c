/* kvm-regs.c — register groups (partition-semantics.md §1.5) on KVM's vCPU
 * ioctls, the architectural reset, and the processor's saved state.
 * docs/kvm-backend.md, "Register groups", lists the mapping and the layout
 * of the backend-defined blobs.
 *
 * These functions work on a KvmVp: build uses them on the control thread
 * before any processor is bound, processors on their VP thread.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hull-error.h"
#include "hull-i18n.h"

#include "kvm-private.h"

#define MSR_IA32_TSC 0x10u
#define MSR_IA32_APICBASE 0x1bu
#define MSR_IA32_SYSENTER_CS 0x174u
#define MSR_IA32_SYSENTER_ESP 0x175u
#define MSR_IA32_SYSENTER_EIP 0x176u
#define MSR_MTRR_PHYS_BASE0 0x200u
#define MSR_MTRR_FIX64K_00000 0x250u
#define MSR_MTRR_FIX16K_80000 0x258u
#define MSR_MTRR_FIX16K_A0000 0x259u
#define MSR_MTRR_FIX4K_C0000 0x268u
#define MSR_IA32_CR_PAT 0x277u
#define MSR_MTRR_DEF_TYPE 0x2ffu
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_CSTAR 0xc0000083u
#define MSR_SYSCALL_MASK 0xc0000084u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_TSC_AUX 0xc0000103u
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01u

#define APIC_BASE_X2APIC (1u << 10)
#define APIC_BASE_ENABLE (1u << 11)
#define PAT_DEFAULT G_GUINT64_CONSTANT (0x0007040600070406)

/* pending_event: the VMX interruption-information layout. */
#define EVENT_VALID (1u << 31)
#define EVENT_HAS_ERROR_CODE (1u << 11)
#define EVENT_TYPE_EXTERNAL 0u
#define EVENT_TYPE_NMI 2u
#define EVENT_TYPE_HW_EXCEPTION 3u
#define EVENT_TYPE_SOFT_INTERRUPT 4u

/* Group 4: the APIC base MSR and KVM_GET_LAPIC's register page. */
typedef struct
{
  guint64 apic_base;
  guint8 regs[KVM_APIC_REG_SIZE];
} KvmApicGroup;

/* Group 9: syscall/sysenter MSRs, KERNEL_GS_BASE and kvmclock's MSR. */
typedef struct
{
  guint64 star, lstar, cstar, sfmask, kernel_gs_base;
  guint64 sysenter_cs, sysenter_esp, sysenter_eip;
  guint64 kvm_system_time;
} KvmMsrsGroup;

/* Group 10. */
typedef struct
{
  guint64 dr[4];
  guint64 dr6;
  guint64 dr7;
} KvmDebugRegsGroup;

static const guint32 mtrr_fixed_msrs[11] = {
  MSR_MTRR_FIX64K_00000,    MSR_MTRR_FIX16K_80000,    MSR_MTRR_FIX16K_A0000,
  MSR_MTRR_FIX4K_C0000,     MSR_MTRR_FIX4K_C0000 + 1, MSR_MTRR_FIX4K_C0000 + 2,
  MSR_MTRR_FIX4K_C0000 + 3, MSR_MTRR_FIX4K_C0000 + 4, MSR_MTRR_FIX4K_C0000 + 5,
  MSR_MTRR_FIX4K_C0000 + 6, MSR_MTRR_FIX4K_C0000 + 7,
};

/* ------------------------------------------------------------------ */
/* Helpers */

static gboolean
ioctl_failed (KvmVp *vp, GError **error, const char *what, int errsv)
{
  g_set_error (error, HULL_ERROR,
               errsv == EINVAL ? HULL_ERROR_INVALID_ARGUMENT : HULL_ERROR_BACKEND_FAILED,
               _ ("VP %u: %s failed: %s"), vp->index, what, g_strerror (errsv));
  return FALSE;
}

static gboolean
vcpu_ioctl (KvmVp *vp, unsigned long request, gpointer arg, const char *what, GError **error)
{
  if (ioctl (vp->fd, request, arg) < 0)
    return ioctl_failed (vp, error, what, errno);
  return TRUE;
}

static gboolean
msrs_io (KvmVp *vp, gboolean set, const guint32 *indices, guint64 *values, guint n, GError **error)
{
  g_autofree struct kvm_msrs *msrs = g_malloc0 (sizeof *msrs + n * sizeof msrs->entries[0]);
  int r;

  msrs->nmsrs = n;
  for (guint i = 0; i < n; i++)
    {
      msrs->entries[i].index = indices[i];
      msrs->entries[i].data = set ? values[i] : 0;
    }
  r = ioctl (vp->fd, set ? KVM_SET_MSRS : KVM_GET_MSRS, msrs);
  if (r < 0)
    return ioctl_failed (vp, error, set ? "KVM_SET_MSRS" : "KVM_GET_MSRS", errno);
  if ((guint)r != n && set)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("VP %u: KVM refused the value 0x%llx for MSR 0x%x"), vp->index,
                   (unsigned long long)values[r], indices[r]);
      return FALSE;
    }
  if ((guint)r != n)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED,
                   _ ("VP %u: KVM cannot read MSR 0x%x"), vp->index, indices[r]);
      return FALSE;
    }
  if (!set)
    for (guint i = 0; i < n; i++)
      values[i] = msrs->entries[i].data;
  return TRUE;
}

static gboolean
cpuid_bit (KvmVp *vp, guint32 function, guint32 index, guint reg, guint bit)
{
  const struct kvm_cpuid_entry2 *e = kvm_cpuid_find (vp->cpuid, function, index);
  guint32 value;

  if (e == NULL)
    return FALSE;
  value = reg == 0 ? e->eax : reg == 1 ? e->ebx : reg == 2 ? e->ecx : e->edx;
  return (value >> bit) & 1;
}

static gboolean
has_xsave (KvmVp *vp)
{
  return cpuid_bit (vp, 1, 0, 2, 26);
}

static gboolean
has_tsc_aux (KvmVp *vp)
{
  return cpuid_bit (vp, 0x80000001u, 0, 3, 27) || cpuid_bit (vp, 7, 0, 2, 22);
}

static gboolean
has_kvmclock (KvmVp *vp)
{
  return cpuid_bit (vp, 0x40000001u, 0, 0, 3);
}

/**
 * kvm_vp_group_present:
 * @vp: the VP
 * @group: a register group
 *
 * Returns: whether @vp has @group (XCR0 needs XSAVE in CPUID, TSC_AUX needs
 *   RDTSCP or RDPID; XSS and CET are never present).
 */
gboolean
kvm_vp_group_present (KvmVp *vp, HullRegisterGroup group)
{
  switch (group)
    {
      case HULL_REGISTER_GROUP_REGISTERS:
      case HULL_REGISTER_GROUP_ACTIVITY:
      case HULL_REGISTER_GROUP_XSAVE:
      case HULL_REGISTER_GROUP_APIC:
      case HULL_REGISTER_GROUP_MTRRS:
      case HULL_REGISTER_GROUP_PAT:
      case HULL_REGISTER_GROUP_MSRS:
      case HULL_REGISTER_GROUP_DEBUG_REGS:
      case HULL_REGISTER_GROUP_TSC:
        return TRUE;
      case HULL_REGISTER_GROUP_XCR0:
        return has_xsave (vp);
      case HULL_REGISTER_GROUP_TSC_AUX:
        return has_tsc_aux (vp);
      case HULL_REGISTER_GROUP_XSS:
      case HULL_REGISTER_GROUP_CET:
      case HULL_REGISTER_GROUP_CET_SS:
      default:
        return FALSE;
    }
}

/**
 * kvm_vp_group_size:
 * @vp: the VP
 * @group: a present register group
 *
 * Returns: the size of @group's buffer (docs/kvm-backend.md).
 */
gsize
kvm_vp_group_size (KvmVp *vp, HullRegisterGroup group)
{
  switch (group)
    {
      case HULL_REGISTER_GROUP_REGISTERS:
        return sizeof (HullX86Registers);
      case HULL_REGISTER_GROUP_ACTIVITY:
        return sizeof (HullX86Activity);
      case HULL_REGISTER_GROUP_XSAVE:
        return vp->partition->hypervisor->xsave_size;
      case HULL_REGISTER_GROUP_APIC:
        return sizeof (KvmApicGroup);
      case HULL_REGISTER_GROUP_MTRRS:
        return sizeof (HullX86Mtrrs);
      case HULL_REGISTER_GROUP_MSRS:
        return sizeof (KvmMsrsGroup);
      case HULL_REGISTER_GROUP_DEBUG_REGS:
        return sizeof (KvmDebugRegsGroup);
      default:
        return sizeof (guint64);
    }
}

static gboolean
check_group (KvmVp *vp, HullRegisterGroup group, gsize size, GError **error)
{
  if (!kvm_vp_group_present (vp, group))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
                   _ ("VP %u: the kvm backend has no register group %u here"), vp->index,
                   (guint)group);
      return FALSE;
    }
  if (size != kvm_vp_group_size (vp, group))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("VP %u: register group %u is %llu bytes, not %llu"), vp->index, (guint)group,
                   (unsigned long long)kvm_vp_group_size (vp, group), (unsigned long long)size);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Group 1: registers. Attributes use the VMX access-rights layout: type
 * 0-3, S 4, DPL 5-6, P 7, AVL 12, L 13, D/B 14, G 15; P clear = unusable. */

static void
segment_from_kvm (HullX86Segment *s, const struct kvm_segment *k)
{
  s->base = k->base;
  s->limit = k->limit;
  s->selector = k->selector;
  s->attributes = (guint16)((k->type & 0xf) | (k->s & 1) << 4 | (k->dpl & 3) << 5
                            | (k->present && !k->unusable) << 7 | (k->avl & 1) << 12
                            | (k->l & 1) << 13 | (k->db & 1) << 14 | (k->g & 1) << 15);
}

static void
segment_to_kvm (struct kvm_segment *k, const HullX86Segment *s)
{
  memset (k, 0, sizeof *k);
  k->base = s->base;
  k->limit = s->limit;
  k->selector = s->selector;
  k->type = s->attributes & 0xf;
  k->s = (s->attributes >> 4) & 1;
  k->dpl = (s->attributes >> 5) & 3;
  k->present = (s->attributes >> 7) & 1;
  k->avl = (s->attributes >> 12) & 1;
  k->l = (s->attributes >> 13) & 1;
  k->db = (s->attributes >> 14) & 1;
  k->g = (s->attributes >> 15) & 1;
  k->unusable = !k->present;
}

static gboolean
get_registers (KvmVp *vp, HullX86Registers *r, GError **error)
{
  struct kvm_regs regs;
  struct kvm_sregs sregs;

  if (!vcpu_ioctl (vp, KVM_GET_REGS, &regs, "KVM_GET_REGS", error)
      || !vcpu_ioctl (vp, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS", error))
    return FALSE;
  memset (r, 0, sizeof *r);
  r->rax = regs.rax, r->rcx = regs.rcx, r->rdx = regs.rdx, r->rbx = regs.rbx;
  r->rsp = regs.rsp, r->rbp = regs.rbp, r->rsi = regs.rsi, r->rdi = regs.rdi;
  r->r8 = regs.r8, r->r9 = regs.r9, r->r10 = regs.r10, r->r11 = regs.r11;
  r->r12 = regs.r12, r->r13 = regs.r13, r->r14 = regs.r14, r->r15 = regs.r15;
  r->rip = regs.rip;
  r->rflags = regs.rflags;
  segment_from_kvm (&r->cs, &sregs.cs);
  segment_from_kvm (&r->ds, &sregs.ds);
  segment_from_kvm (&r->es, &sregs.es);
  segment_from_kvm (&r->fs, &sregs.fs);
  segment_from_kvm (&r->gs, &sregs.gs);
  segment_from_kvm (&r->ss, &sregs.ss);
  segment_from_kvm (&r->tr, &sregs.tr);
  segment_from_kvm (&r->ldtr, &sregs.ldt);
  r->gdtr.base = sregs.gdt.base;
  r->gdtr.limit = sregs.gdt.limit;
  r->idtr.base = sregs.idt.base;
  r->idtr.limit = sregs.idt.limit;
  r->cr0 = sregs.cr0, r->cr2 = sregs.cr2, r->cr3 = sregs.cr3, r->cr4 = sregs.cr4;
  r->cr8 = sregs.cr8;
  r->efer = sregs.efer;
  return TRUE;
}

static gboolean
set_registers (KvmVp *vp, const HullX86Registers *r, GError **error)
{
  struct kvm_regs regs = { 0 };
  struct kvm_sregs sregs;

  /* Read first: apic_base and the pending-interrupt bitmap stay. */
  if (!vcpu_ioctl (vp, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS", error))
    return FALSE;
  segment_to_kvm (&sregs.cs, &r->cs);
  segment_to_kvm (&sregs.ds, &r->ds);
  segment_to_kvm (&sregs.es, &r->es);
  segment_to_kvm (&sregs.fs, &r->fs);
  segment_to_kvm (&sregs.gs, &r->gs);
  segment_to_kvm (&sregs.ss, &r->ss);
  segment_to_kvm (&sregs.tr, &r->tr);
  segment_to_kvm (&sregs.ldt, &r->ldtr);
  sregs.gdt.base = r->gdtr.base;
  sregs.gdt.limit = r->gdtr.limit;
  sregs.idt.base = r->idtr.base;
  sregs.idt.limit = r->idtr.limit;
  sregs.cr0 = r->cr0, sregs.cr2 = r->cr2, sregs.cr3 = r->cr3, sregs.cr4 = r->cr4;
  sregs.cr8 = r->cr8;
  sregs.efer = r->efer;
  regs.rax = r->rax, regs.rcx = r->rcx, regs.rdx = r->rdx, regs.rbx = r->rbx;
  regs.rsp = r->rsp, regs.rbp = r->rbp, regs.rsi = r->rsi, regs.rdi = r->rdi;
  regs.r8 = r->r8, regs.r9 = r->r9, regs.r10 = r->r10, regs.r11 = r->r11;
  regs.r12 = r->r12, regs.r13 = r->r13, regs.r14 = r->r14, regs.r15 = r->r15;
  regs.rip = r->rip;
  regs.rflags = r->rflags;
  if (ioctl (vp->fd, KVM_SET_SREGS, &sregs) < 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("VP %u: KVM refused the segment and control registers (cr0 0x%llx, cr4 "
                      "0x%llx, efer 0x%llx): %s"),
                   vp->index, (unsigned long long)r->cr0, (unsigned long long)r->cr4,
                   (unsigned long long)r->efer, g_strerror (errno));
      return FALSE;
    }
  return vcpu_ioctl (vp, KVM_SET_REGS, &regs, "KVM_SET_REGS", error);
}

/* ------------------------------------------------------------------ */
/* Group 2: activity */

static guint32
mp_state_from_kvm (guint32 state)
{
  switch (state)
    {
      case KVM_MP_STATE_UNINITIALIZED:
      case KVM_MP_STATE_INIT_RECEIVED:
        return HULL_MP_STATE_WAIT_FOR_SIPI;
      case KVM_MP_STATE_HALTED:
        return HULL_MP_STATE_HALTED;
      case KVM_MP_STATE_RUNNABLE:
      case KVM_MP_STATE_SIPI_RECEIVED:
      default:
        return HULL_MP_STATE_RUNNING;
    }
}

static guint32
mp_state_to_kvm (guint32 state)
{
  switch (state)
    {
      case HULL_MP_STATE_WAIT_FOR_SIPI:
        return KVM_MP_STATE_INIT_RECEIVED;
      case HULL_MP_STATE_HALTED:
      case HULL_MP_STATE_IDLE:
        return KVM_MP_STATE_HALTED;
      case HULL_MP_STATE_RUNNING:
      default:
        return KVM_MP_STATE_RUNNABLE;
    }
}

static gboolean
get_activity (KvmVp *vp, HullX86Activity *a, GError **error)
{
  struct kvm_mp_state mp;
  struct kvm_vcpu_events ev;

  if (!vcpu_ioctl (vp, KVM_GET_MP_STATE, &mp, "KVM_GET_MP_STATE", error)
      || !vcpu_ioctl (vp, KVM_GET_VCPU_EVENTS, &ev, "KVM_GET_VCPU_EVENTS", error))
    return FALSE;
  memset (a, 0, sizeof *a);
  a->mp_state = vp->idle ? HULL_MP_STATE_HALTED : mp_state_from_kvm (mp.mp_state);
  a->nmi_pending = ev.nmi.pending != 0;
  a->nmi_masked = ev.nmi.masked != 0;
  a->interrupt_shadow = ev.interrupt.shadow; /* KVM's bits: 1 STI, 2 MOV SS */
  if (ev.exception.injected)
    a->pending_event = EVENT_VALID | (EVENT_TYPE_HW_EXCEPTION << 8) | ev.exception.nr
                       | (ev.exception.has_error_code ? EVENT_HAS_ERROR_CODE : 0)
                       | (guint64)ev.exception.error_code << 32;
  else if (ev.nmi.injected)
    a->pending_event = EVENT_VALID | (EVENT_TYPE_NMI << 8) | 2;
  else if (ev.interrupt.injected)
    a->pending_event
        = EVENT_VALID | ((ev.interrupt.soft ? EVENT_TYPE_SOFT_INTERRUPT : EVENT_TYPE_EXTERNAL) << 8)
          | ev.interrupt.nr;
  return TRUE;
}

static gboolean
activity_is_valid (const HullX86Activity *a)
{
  guint32 info = (guint32)a->pending_event;
  guint type = (info >> 8) & 7;

  if (a->mp_state > HULL_MP_STATE_IDLE || (a->interrupt_shadow & ~3) != 0)
    return FALSE;
  if (!(info & EVENT_VALID))
    return a->pending_event == 0;
  if ((info & 0x7ffff000u) != 0)
    return FALSE;
  if (type == EVENT_TYPE_HW_EXCEPTION)
    return (info & 0xff) < 32;
  return (type == EVENT_TYPE_EXTERNAL || type == EVENT_TYPE_NMI
          || type == EVENT_TYPE_SOFT_INTERRUPT)
         && !(info & EVENT_HAS_ERROR_CODE) && (a->pending_event >> 32) == 0;
}

static gboolean
set_activity (KvmVp *vp, const HullX86Activity *a, GError **error)
{
  struct kvm_mp_state mp = { .mp_state = mp_state_to_kvm (a->mp_state) };
  struct kvm_vcpu_events ev;
  guint32 info = (guint32)a->pending_event;

  if (!activity_is_valid (a))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("VP %u: activity state with mp_state %u, interrupt shadow %u and pending "
                      "event 0x%llx is not valid"),
                   vp->index, a->mp_state, (guint)a->interrupt_shadow,
                   (unsigned long long)a->pending_event);
      return FALSE;
    }
  if (!vcpu_ioctl (vp, KVM_GET_VCPU_EVENTS, &ev, "KVM_GET_VCPU_EVENTS", error))
    return FALSE;
  memset (&ev.exception, 0, sizeof ev.exception);
  ev.interrupt.injected = 0;
  ev.interrupt.nr = 0;
  ev.interrupt.soft = 0;
  ev.interrupt.shadow = (guint8)a->interrupt_shadow;
  ev.nmi.injected = 0;
  ev.nmi.pending = a->nmi_pending != 0;
  ev.nmi.masked = a->nmi_masked != 0;
  ev.exception_has_payload = 0;
  ev.exception_payload = 0;
  if (info & EVENT_VALID)
    switch ((info >> 8) & 7)
      {
        case EVENT_TYPE_HW_EXCEPTION:
          ev.exception.injected = 1;
          ev.exception.nr = info & 0xff;
          ev.exception.has_error_code = (info & EVENT_HAS_ERROR_CODE) != 0;
          ev.exception.error_code = (guint32)(a->pending_event >> 32);
          break;
        case EVENT_TYPE_NMI:
          ev.nmi.injected = 1;
          break;
        default:
          ev.interrupt.injected = 1;
          ev.interrupt.nr = info & 0xff;
          ev.interrupt.soft = ((info >> 8) & 7) == EVENT_TYPE_SOFT_INTERRUPT;
          break;
      }
  ev.flags = (ev.flags & (KVM_VCPUEVENT_VALID_SIPI_VECTOR | KVM_VCPUEVENT_VALID_SMM))
             | KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
  if (!vcpu_ioctl (vp, KVM_SET_VCPU_EVENTS, &ev, "KVM_SET_VCPU_EVENTS", error)
      || !vcpu_ioctl (vp, KVM_SET_MP_STATE, &mp, "KVM_SET_MP_STATE", error))
    return FALSE;
  vp->idle = FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Groups 3 (xsave), 4 (apic), 5 (xcr0) */

static gboolean
xsave_io (KvmVp *vp, gboolean set, gpointer buffer, GError **error)
{
  gsize size = vp->partition->hypervisor->xsave_size;

  if (set)
    return vcpu_ioctl (vp, KVM_SET_XSAVE, buffer, "KVM_SET_XSAVE", error);
  if (size > sizeof (struct kvm_xsave))
    return vcpu_ioctl (vp, KVM_GET_XSAVE2, buffer, "KVM_GET_XSAVE2", error);
  return vcpu_ioctl (vp, KVM_GET_XSAVE, buffer, "KVM_GET_XSAVE", error);
}

static gboolean
get_apic (KvmVp *vp, KvmApicGroup *apic, GError **error)
{
  guint32 index = MSR_IA32_APICBASE;
  struct kvm_lapic_state lapic;

  if (!msrs_io (vp, FALSE, &index, &apic->apic_base, 1, error)
      || !vcpu_ioctl (vp, KVM_GET_LAPIC, &lapic, "KVM_GET_LAPIC", error))
    return FALSE;
  memcpy (apic->regs, lapic.regs, sizeof apic->regs);
  return TRUE;
}

static gboolean
set_apic (KvmVp *vp, const KvmApicGroup *apic, GError **error)
{
  guint32 index = MSR_IA32_APICBASE;
  guint64 base = apic->apic_base;
  struct kvm_lapic_state lapic;

  memcpy (lapic.regs, apic->regs, sizeof lapic.regs);
  return msrs_io (vp, TRUE, &index, &base, 1, error)
         && vcpu_ioctl (vp, KVM_SET_LAPIC, &lapic, "KVM_SET_LAPIC", error);
}

static gboolean
xcr0_io (KvmVp *vp, gboolean set, guint64 *value, GError **error)
{
  struct kvm_xcrs xcrs = { 0 };

  if (set)
    {
      xcrs.nr_xcrs = 1;
      xcrs.xcrs[0].xcr = 0;
      xcrs.xcrs[0].value = *value;
      return vcpu_ioctl (vp, KVM_SET_XCRS, &xcrs, "KVM_SET_XCRS", error);
    }
  if (!vcpu_ioctl (vp, KVM_GET_XCRS, &xcrs, "KVM_GET_XCRS", error))
    return FALSE;
  *value = 1;
  for (guint i = 0; i < xcrs.nr_xcrs && i < G_N_ELEMENTS (xcrs.xcrs); i++)
    if (xcrs.xcrs[i].xcr == 0)
      *value = xcrs.xcrs[i].value;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* MSR groups: 7 (mtrrs), 8 (pat), 9 (msrs), 11 (tsc), 14 (tsc_aux) */

static gboolean
mtrrs_io (KvmVp *vp, gboolean set, HullX86Mtrrs *m, GError **error)
{
  guint32 indices[1 + 11 + 16];
  guint64 values[G_N_ELEMENTS (indices)];
  guint n = 0;

  indices[n] = MSR_MTRR_DEF_TYPE, values[n++] = m->def_type;
  for (guint i = 0; i < 11; i++)
    indices[n] = mtrr_fixed_msrs[i], values[n++] = m->fixed[i];
  for (guint i = 0; i < 16; i++)
    indices[n] = MSR_MTRR_PHYS_BASE0 + i, values[n++] = m->variable[i];
  if (!msrs_io (vp, set, indices, values, n, error))
    return FALSE;
  if (!set)
    {
      m->def_type = values[0];
      memcpy (m->fixed, values + 1, sizeof m->fixed);
      memcpy (m->variable, values + 12, sizeof m->variable);
    }
  return TRUE;
}

static gboolean
msrs_group_io (KvmVp *vp, gboolean set, KvmMsrsGroup *g, GError **error)
{
  const guint32 indices[] = {
    MSR_STAR,
    MSR_LSTAR,
    MSR_CSTAR,
    MSR_SYSCALL_MASK,
    MSR_KERNEL_GS_BASE,
    MSR_IA32_SYSENTER_CS,
    MSR_IA32_SYSENTER_ESP,
    MSR_IA32_SYSENTER_EIP,
    MSR_KVM_SYSTEM_TIME_NEW,
  };
  guint64 *values = (guint64 *)g;
  guint n = G_N_ELEMENTS (indices);

  G_STATIC_ASSERT (sizeof (KvmMsrsGroup) == G_N_ELEMENTS (indices) * sizeof (guint64));
  if (!has_kvmclock (vp))
    {
      n--; /* no kvmclock offered: its MSR reads as 0 */
      g->kvm_system_time = 0;
    }
  return msrs_io (vp, set, indices, values, n, error);
}

static gboolean
msr_io (KvmVp *vp, gboolean set, guint32 index, guint64 *value, GError **error)
{
  return msrs_io (vp, set, &index, value, 1, error);
}

static gboolean
debug_regs_io (KvmVp *vp, gboolean set, KvmDebugRegsGroup *g, GError **error)
{
  struct kvm_debugregs d = { 0 };

  if (set)
    {
      memcpy (d.db, g->dr, sizeof d.db);
      d.dr6 = g->dr6;
      d.dr7 = g->dr7;
      return vcpu_ioctl (vp, KVM_SET_DEBUGREGS, &d, "KVM_SET_DEBUGREGS", error);
    }
  if (!vcpu_ioctl (vp, KVM_GET_DEBUGREGS, &d, "KVM_GET_DEBUGREGS", error))
    return FALSE;
  memcpy (g->dr, d.db, sizeof g->dr);
  g->dr6 = d.dr6;
  g->dr7 = d.dr7;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* get_state / set_state */

/* @buffer is the group's size, checked by the caller; for a set it is only
 * read (the casts below drop const for the shared get/set helpers). */
static gboolean
group_io (KvmVp *vp, HullRegisterGroup group, gboolean set, gpointer buffer, GError **error)
{
  switch (group)
    {
      case HULL_REGISTER_GROUP_REGISTERS:
        return set ? set_registers (vp, buffer, error) : get_registers (vp, buffer, error);
      case HULL_REGISTER_GROUP_ACTIVITY:
        return set ? set_activity (vp, buffer, error) : get_activity (vp, buffer, error);
      case HULL_REGISTER_GROUP_XSAVE:
        return xsave_io (vp, set, buffer, error);
      case HULL_REGISTER_GROUP_APIC:
        return set ? set_apic (vp, buffer, error) : get_apic (vp, buffer, error);
      case HULL_REGISTER_GROUP_XCR0:
        return xcr0_io (vp, set, buffer, error);
      case HULL_REGISTER_GROUP_MTRRS:
        return mtrrs_io (vp, set, buffer, error);
      case HULL_REGISTER_GROUP_PAT:
        return msr_io (vp, set, MSR_IA32_CR_PAT, buffer, error);
      case HULL_REGISTER_GROUP_MSRS:
        return msrs_group_io (vp, set, buffer, error);
      case HULL_REGISTER_GROUP_DEBUG_REGS:
        return debug_regs_io (vp, set, buffer, error);
      case HULL_REGISTER_GROUP_TSC:
        return msr_io (vp, set, MSR_IA32_TSC, buffer, error);
      case HULL_REGISTER_GROUP_TSC_AUX:
        return msr_io (vp, set, MSR_TSC_AUX, buffer, error);
      default:
        g_assert_not_reached ();
    }
}

/**
 * kvm_vp_get_state:
 * @vp: the VP
 * @group: a register group
 * @buffer: (out caller-allocates): the group, @size bytes
 * @size: the group's size (docs/kvm-backend.md)
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success; %HULL_ERROR_NOT_SUPPORTED for a group this VP
 *   does not have, %HULL_ERROR_INVALID_ARGUMENT for a wrong @size.
 */
gboolean
kvm_vp_get_state (KvmVp *vp, HullRegisterGroup group, gpointer buffer, gsize size, GError **error)
{
  g_autofree guint8 *tmp = NULL;

  if (!check_group (vp, group, size, error))
    return FALSE;
  /* Through a copy: a failed get leaves @buffer alone. */
  tmp = g_malloc0 (size);
  if (!group_io (vp, group, FALSE, tmp, error))
    return FALSE;
  memcpy (buffer, tmp, size);
  return TRUE;
}

/**
 * kvm_vp_set_state:
 * @vp: the VP
 * @group: a register group
 * @buffer: the group, @size bytes
 * @size: the group's size
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success; %HULL_ERROR_INVALID_ARGUMENT when KVM refuses
 *   the values.
 */
gboolean
kvm_vp_set_state (KvmVp *vp, HullRegisterGroup group, gconstpointer buffer, gsize size,
                  GError **error)
{
  g_autofree guint8 *tmp = NULL;

  if (!check_group (vp, group, size, error))
    return FALSE;
  tmp = g_memdup2 (buffer, size);
  return group_io (vp, group, TRUE, tmp, error);
}

/* ------------------------------------------------------------------ */
/* Initial state and reset */

/**
 * kvm_vp_capture_initial_state:
 * @vp: a VP just created
 * @error: return location for a #GError
 *
 * Records the LAPIC (switched to x2APIC mode first when the topology starts
 * VPs in it) and the XSAVE area as KVM creates them: reset puts them back.
 */
gboolean
kvm_vp_capture_initial_state (KvmVp *vp, GError **error)
{
  guint32 index = MSR_IA32_APICBASE;
  guint64 base;

  if (!msrs_io (vp, FALSE, &index, &base, 1, error))
    return FALSE;
  if (vp->partition->topology.apic_mode == HULL_APIC_MODE_X2APIC_ENABLED)
    {
      base |= APIC_BASE_ENABLE | APIC_BASE_X2APIC;
      if (!msrs_io (vp, TRUE, &index, &base, 1, error))
        return FALSE;
    }
  vp->initial_apic_base = base;
  if (!vcpu_ioctl (vp, KVM_GET_LAPIC, &vp->initial_lapic, "KVM_GET_LAPIC", error))
    return FALSE;
  vp->initial_xsave = g_malloc0 (vp->partition->hypervisor->xsave_size);
  return xsave_io (vp, FALSE, vp->initial_xsave, error);
}

static HullX86Segment
reset_segment (guint64 base, guint16 selector, guint16 attributes)
{
  HullX86Segment s = { base, 0xffff, selector, attributes };

  return s;
}

/**
 * kvm_vp_reset:
 * @vp: the VP
 * @error: return location for a #GError
 *
 * The architectural reset (partition-semantics.md §1.5): rip 0xfff0 with CS
 * 0xf000 at base 0xffff0000, rdx = CPUID.1 EAX, cr0 0x60000010, rflags 2;
 * the BSP (VP 0) runnable and the APs waiting for SIPI; the LAPIC and XSAVE
 * area as created, XCR0 1, MTRRs off, PAT default, the MSR groups zero,
 * DR6/DR7 at their reset values.
 */
gboolean
kvm_vp_reset (KvmVp *vp, GError **error)
{
  HullX86Registers regs = { 0 };
  HullX86Activity activity = { 0 };
  KvmApicGroup apic;
  HullX86Mtrrs mtrrs = { 0 };
  KvmMsrsGroup msrs = { 0 };
  KvmDebugRegsGroup debug = { .dr6 = 0xffff0ff0, .dr7 = 0x400 };
  guint64 xcr0 = 1, pat = PAT_DEFAULT, zero = 0;

  regs.rip = 0xfff0;
  regs.rflags = 0x2;
  regs.rdx = vp->reset_rdx;
  regs.cs = reset_segment (0xffff0000, 0xf000, 0x9b);
  regs.ds = regs.es = regs.fs = regs.gs = regs.ss = reset_segment (0, 0, 0x93);
  regs.ldtr = reset_segment (0, 0, 0x82);
  regs.tr = reset_segment (0, 0, 0x8b);
  regs.gdtr.limit = 0xffff;
  regs.idtr.limit = 0xffff;
  regs.cr0 = 0x60000010;
  activity.mp_state = vp->index == 0 ? HULL_MP_STATE_RUNNING : HULL_MP_STATE_WAIT_FOR_SIPI;
  apic.apic_base = vp->initial_apic_base;
  memcpy (apic.regs, vp->initial_lapic.regs, sizeof apic.regs);

  if (!set_registers (vp, &regs, error) || !set_activity (vp, &activity, error)
      || !xsave_io (vp, TRUE, vp->initial_xsave, error) || !set_apic (vp, &apic, error)
      || (has_xsave (vp) && !xcr0_io (vp, TRUE, &xcr0, error))
      || !mtrrs_io (vp, TRUE, &mtrrs, error) || !msr_io (vp, TRUE, MSR_IA32_CR_PAT, &pat, error)
      || !msrs_group_io (vp, TRUE, &msrs, error) || !debug_regs_io (vp, TRUE, &debug, error)
      || !msr_io (vp, TRUE, MSR_IA32_TSC, &zero, error)
      || (has_tsc_aux (vp) && !msr_io (vp, TRUE, MSR_TSC_AUX, &zero, error)))
    return FALSE;
  vp->idle = FALSE;
  g_atomic_int_set (&vp->nmi, 0);
  return TRUE;
}
