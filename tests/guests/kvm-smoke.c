/* kvm-smoke: run one test guest on bare /dev/kvm, the way Hull's loader and
 * devices will (docs/x86-boot.md), to check the guests before Hull's KVM
 * backend exists.  Not a test and not part of Hull: a developer's tool.
 *
 *   kvm-smoke [-n CPUS] [-t SECONDS] [-s] GUEST [CMDLINE]
 *
 * -s single-steps the BSP and counts its instructions.  COM1 output goes to
 * stdout; the outcome (power off, reset, shutdown, timeout) and the exit
 * counts follow on a line starting "kvm-smoke:". */

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE (64u << 20)
#define MAX_CPUS 8
#define ZERO_PAGE 0x7000
#define CMDLINE 0x20000
#define COUNT_ADDR 0x200000

struct vm
{
  int kvm, fd;
  uint8_t *mem;
  uint64_t entry;
  int n_cpus;
  int single_step;
  double t0;
  pthread_mutex_t lock;
  pthread_cond_t done;
  const char *outcome; /* set once, under lock */
  double t_outcome, t_boot_timer;
  unsigned long exits_io, exits_mmio, exits_other, steps;
};

struct vcpu
{
  struct vm *vm;
  int id, fd;
  struct kvm_run *run;
};

static void die (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));

static void
die (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  fputs ("kvm-smoke: ", stderr);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  exit (1);
}

static double
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
put64 (struct vm *vm, uint64_t gpa, uint64_t v)
{
  memcpy (vm->mem + gpa, &v, sizeof v);
}

static void
finish (struct vm *vm, const char *outcome)
{
  pthread_mutex_lock (&vm->lock);
  if (!vm->outcome)
    {
      vm->outcome = outcome;
      vm->t_outcome = now_ms ();
      pthread_cond_signal (&vm->done);
    }
  pthread_mutex_unlock (&vm->lock);
}

static void
load_elf (struct vm *vm, const char *path)
{
  int fd = open (path, O_RDONLY);
  struct stat st;
  uint8_t *f;
  Elf64_Ehdr *eh;

  if (fd < 0 || fstat (fd, &st) < 0)
    die ("%s: %s", path, strerror (errno));
  if ((size_t) st.st_size < sizeof *eh)
    die ("%s: too small", path);
  f = mmap (NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (f == MAP_FAILED)
    die ("%s: mmap: %s", path, strerror (errno));
  eh = (Elf64_Ehdr *) f;
  if (memcmp (eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64
      || eh->e_machine != EM_X86_64 || eh->e_phentsize != sizeof (Elf64_Phdr)
      || eh->e_phoff + (uint64_t) eh->e_phnum * sizeof (Elf64_Phdr) > (uint64_t) st.st_size)
    die ("%s: not an x86-64 ELF64 image", path);
  for (int i = 0; i < eh->e_phnum; i++)
    {
      Elf64_Phdr *ph = (Elf64_Phdr *) (f + eh->e_phoff) + i;

      if (ph->p_type != PT_LOAD)
        continue;
      if (ph->p_filesz > ph->p_memsz || ph->p_offset + ph->p_filesz > (uint64_t) st.st_size
          || ph->p_paddr < 0x100000 || ph->p_paddr + ph->p_memsz > MEM_SIZE)
        die ("%s: bad PT_LOAD %d", path, i);
      memcpy (vm->mem + ph->p_paddr, f + ph->p_offset, ph->p_filesz);
      memset (vm->mem + ph->p_paddr + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
    }
  vm->entry = eh->e_entry;
  munmap (f, st.st_size);
  close (fd);
}

/* Low memory as docs/x86-boot.md lays it out. */
static void
setup_low_memory (struct vm *vm, const char *cmdline)
{
  put64 (vm, 0x500 + 0x10, 0x00af9b000000ffffull); /* code 0x10 */
  put64 (vm, 0x500 + 0x18, 0x00cf93000000ffffull); /* data 0x18 */
  put64 (vm, 0x9000, 0xa000 | 3);
  for (uint64_t i = 0; i < 4; i++)
    put64 (vm, 0xa000 + i * 8, (0xb000 + i * 0x1000) | 3);
  for (uint64_t i = 0; i < 4 * 512; i++)
    put64 (vm, 0xb000 + i * 8, (i << 21) | 0x83);
  if (strlen (cmdline) >= 2048)
    die ("command line too long");
  strcpy ((char *) vm->mem + CMDLINE, cmdline);
  vm->mem[ZERO_PAGE + 0x210] = 0xff; /* type_of_loader */
  memcpy (vm->mem + ZERO_PAGE + 0x228, &(uint32_t){ CMDLINE }, 4);
  /* The e820 map Hull's loader writes for 64 MiB: {addr, size, type} at 0x2d0. */
  static const struct
  {
    uint64_t addr, size;
    uint32_t type;
  } e820[] = { { 0, 0x9fc00, 1 }, { 0x9fc00, 0x60400, 2 }, { 0x100000, MEM_SIZE - 0x100000, 1 } };
  for (unsigned i = 0; i < 3; i++)
    {
      uint8_t *e = vm->mem + ZERO_PAGE + 0x2d0 + i * 20;

      memcpy (e, &e820[i].addr, 8);
      memcpy (e + 8, &e820[i].size, 8);
      memcpy (e + 16, &e820[i].type, 4);
    }
  vm->mem[ZERO_PAGE + 0x1e8] = 3; /* e820_entries */
}

static void
setup_bsp (struct vcpu *c)
{
  struct kvm_sregs s;
  struct kvm_regs r = { 0 };
  struct kvm_segment code = { .base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 11,
                              .present = 1, .s = 1, .l = 1, .g = 1 };
  struct kvm_segment data = { .base = 0, .limit = 0xffffffff, .selector = 0x18, .type = 3,
                              .present = 1, .s = 1, .db = 1, .g = 1 };

  if (ioctl (c->fd, KVM_GET_SREGS, &s) < 0)
    die ("KVM_GET_SREGS: %s", strerror (errno));
  s.cs = code;
  s.ds = s.es = s.fs = s.gs = s.ss = data;
  s.tr.type = 11;
  s.tr.present = 1;
  s.gdt.base = 0x500;
  s.gdt.limit = 31;
  s.idt.base = 0x520;
  s.idt.limit = 0;
  s.cr0 = 0x80000011;
  s.cr3 = 0x9000;
  s.cr4 = 0x20;
  s.efer = 0x500;
  if (ioctl (c->fd, KVM_SET_SREGS, &s) < 0)
    die ("KVM_SET_SREGS: %s", strerror (errno));
  r.rip = c->vm->entry;
  r.rsi = ZERO_PAGE;
  r.rsp = r.rbp = 0x8ff0;
  r.rflags = 2;
  if (ioctl (c->fd, KVM_SET_REGS, &r) < 0)
    die ("KVM_SET_REGS: %s", strerror (errno));
  if (c->vm->single_step)
    {
      struct kvm_guest_debug dbg = { .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP };

      if (ioctl (c->fd, KVM_SET_GUEST_DEBUG, &dbg) < 0)
        die ("KVM_SET_GUEST_DEBUG: %s", strerror (errno));
    }
}

static void
handle_io (struct vcpu *c)
{
  struct kvm_run *run = c->run;
  uint8_t *data = (uint8_t *) run + run->io.data_offset;
  uint32_t v = 0;
  static uint8_t post;

  memcpy (&v, data, run->io.size);
  if (run->io.direction == KVM_EXIT_IO_OUT)
    {
      if (run->io.port == 0x3f8)
        (void) !write (1, data, 1);
      else if (run->io.port == 0x604 && run->io.size == 2 && (v & 0x2000))
        finish (c->vm, "power off");
      else if (run->io.port == 0x64 && v == 0xfe)
        finish (c->vm, "reset");
      else if (run->io.port == 0x80)
        post = v;
      else
        fprintf (stderr, "kvm-smoke: vcpu %d: out 0x%x <- 0x%x (%u bytes) ignored\n", c->id,
                 run->io.port, v, run->io.size);
    }
  else
    {
      memset (data, 0xff, run->io.size);
      if (run->io.port == 0x3fd)
        data[0] = 0x60; /* THR and transmitter empty */
      else if (run->io.port == 0x80)
        data[0] = post;
    }
}

static void
handle_mmio (struct vcpu *c)
{
  struct kvm_run *run = c->run;
  uint64_t v = 0;

  memcpy (&v, run->mmio.data, run->mmio.len);
  if (run->mmio.is_write && run->mmio.phys_addr == 0xc0000000 && v == 123)
    c->vm->t_boot_timer = now_ms ();
  else
    {
      fprintf (stderr, "kvm-smoke: vcpu %d: unclaimed MMIO %s 0x%llx (%u bytes)", c->id,
               run->mmio.is_write ? "write" : "read", (unsigned long long) run->mmio.phys_addr,
               run->mmio.len);
      if (run->mmio.is_write)
        fprintf (stderr, " <- 0x%llx", (unsigned long long) v);
      fputc ('\n', stderr);
      if (!run->mmio.is_write)
        memset (run->mmio.data, 0xff, sizeof run->mmio.data);
    }
}

static void *
vcpu_thread (void *data)
{
  struct vcpu *c = data;
  struct vm *vm = c->vm;

  for (;;)
    {
      if (ioctl (c->fd, KVM_RUN, 0) < 0)
        {
          if (errno == EINTR || errno == EAGAIN)
            continue;
          die ("vcpu %d: KVM_RUN: %s", c->id, strerror (errno));
        }
      switch (c->run->exit_reason)
        {
        case KVM_EXIT_IO:
          __atomic_add_fetch (&vm->exits_io, 1, __ATOMIC_RELAXED);
          handle_io (c);
          break;
        case KVM_EXIT_MMIO:
          __atomic_add_fetch (&vm->exits_mmio, 1, __ATOMIC_RELAXED);
          handle_mmio (c);
          break;
        case KVM_EXIT_DEBUG:
          vm->steps++; /* only the BSP single-steps */
          break;
        case KVM_EXIT_SHUTDOWN:
          finish (vm, "shutdown (triple fault)");
          return NULL;
        case KVM_EXIT_HLT:
          finish (vm, "halt");
          return NULL;
        default:
          __atomic_add_fetch (&vm->exits_other, 1, __ATOMIC_RELAXED);
          fprintf (stderr, "kvm-smoke: vcpu %d: exit reason %u\n", c->id, c->run->exit_reason);
          finish (vm, "unexpected exit");
          return NULL;
        }
      if (vm->outcome)
        return NULL;
    }
}

int
main (int argc, char **argv)
{
  struct vm vm = { .n_cpus = 1, .lock = PTHREAD_MUTEX_INITIALIZER,
                   .done = PTHREAD_COND_INITIALIZER };
  struct vcpu cpus[MAX_CPUS];
  pthread_t threads[MAX_CPUS];
  struct kvm_userspace_memory_region region = { 0 };
  struct kvm_cpuid2 *cpuid;
  struct timespec deadline;
  double timeout = 5;
  int run_size, opt, rc = 0;
  uint64_t count;

  while ((opt = getopt (argc, argv, "n:t:s")) != -1)
    switch (opt)
      {
      case 'n':
        vm.n_cpus = atoi (optarg);
        break;
      case 't':
        timeout = atof (optarg);
        break;
      case 's':
        vm.single_step = 1;
        break;
      default:
        return 2;
      }
  if (optind >= argc || vm.n_cpus < 1 || vm.n_cpus > MAX_CPUS)
    {
      fprintf (stderr, "usage: kvm-smoke [-n CPUS 1..%d] [-t SECONDS] [-s] GUEST [CMDLINE]\n",
               MAX_CPUS);
      return 2;
    }

  vm.kvm = open ("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (vm.kvm < 0)
    {
      fprintf (stderr, "kvm-smoke: /dev/kvm: %s\n", strerror (errno));
      return 77;
    }
  vm.fd = ioctl (vm.kvm, KVM_CREATE_VM, 0);
  if (vm.fd < 0)
    die ("KVM_CREATE_VM: %s", strerror (errno));
  (void) ioctl (vm.fd, KVM_SET_TSS_ADDR, 0xfffbd000ul); /* VMX wants it; others may refuse */
  if (ioctl (vm.fd, KVM_CREATE_IRQCHIP, 0) < 0)
    die ("KVM_CREATE_IRQCHIP: %s", strerror (errno));

  vm.mem = mmap (NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (vm.mem == MAP_FAILED)
    die ("mmap: %s", strerror (errno));
  region.memory_size = MEM_SIZE;
  region.userspace_addr = (uintptr_t) vm.mem;
  if (ioctl (vm.fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
    die ("KVM_SET_USER_MEMORY_REGION: %s", strerror (errno));
  load_elf (&vm, argv[optind]);
  setup_low_memory (&vm, optind + 1 < argc ? argv[optind + 1] : "");

  cpuid = calloc (1, sizeof *cpuid + 256 * sizeof cpuid->entries[0]);
  cpuid->nent = 256;
  if (ioctl (vm.kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0)
    die ("KVM_GET_SUPPORTED_CPUID: %s", strerror (errno));
  run_size = ioctl (vm.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  for (int i = 0; i < vm.n_cpus; i++)
    {
      struct vcpu *c = &cpus[i];

      c->vm = &vm;
      c->id = i;
      c->fd = ioctl (vm.fd, KVM_CREATE_VCPU, i);
      if (c->fd < 0)
        die ("KVM_CREATE_VCPU %d: %s", i, strerror (errno));
      c->run = mmap (NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
      if (c->run == MAP_FAILED)
        die ("mmap kvm_run: %s", strerror (errno));
      for (unsigned j = 0; j < cpuid->nent; j++) /* initial APIC id */
        if (cpuid->entries[j].function == 1)
          cpuid->entries[j].ebx = (cpuid->entries[j].ebx & 0x00ffffff) | (uint32_t) i << 24;
      if (ioctl (c->fd, KVM_SET_CPUID2, cpuid) < 0)
        die ("KVM_SET_CPUID2: %s", strerror (errno));
    }
  setup_bsp (&cpus[0]);

  vm.t0 = now_ms ();
  for (int i = 0; i < vm.n_cpus; i++)
    pthread_create (&threads[i], NULL, vcpu_thread, &cpus[i]);

  clock_gettime (CLOCK_REALTIME, &deadline);
  deadline.tv_sec += (time_t) timeout;
  deadline.tv_nsec += (long) ((timeout - (time_t) timeout) * 1e9);
  if (deadline.tv_nsec >= 1000000000)
    {
      deadline.tv_sec++;
      deadline.tv_nsec -= 1000000000;
    }
  pthread_mutex_lock (&vm.lock);
  while (!vm.outcome)
    if (pthread_cond_timedwait (&vm.done, &vm.lock, &deadline) == ETIMEDOUT)
      break;
  memcpy (&count, vm.mem + COUNT_ADDR, sizeof count);
  printf ("kvm-smoke: %s after %.1f ms; exits: %lu io, %lu mmio, %lu other",
          vm.outcome ? vm.outcome : "timeout, still running",
          (vm.outcome ? vm.t_outcome : now_ms ()) - vm.t0, vm.exits_io, vm.exits_mmio,
          vm.exits_other);
  if (vm.t_boot_timer)
    printf ("; boot timer at %.1f ms", vm.t_boot_timer - vm.t0);
  if (vm.single_step)
    printf ("; BSP instructions %lu", vm.steps);
  if (count)
    printf ("; counter at 0x%x = %llu", COUNT_ADDR, (unsigned long long) count);
  printf ("\n");
  fflush (stdout);
  if (!vm.outcome)
    rc = 3;
  _exit (rc); /* vCPU threads may be blocked in KVM_RUN */
}
