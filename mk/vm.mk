# The learner on nftables, on a kernel that has the nft queue (mk/vm.sh): a
# fresh root of VM_DISTRO made as check-distro makes one, with Debian's own
# kernel, booted under qemu (KVM, or TCG where /dev/kvm is PVM) without any
# network device; VM_TESTS run there on RB_FW_BACKEND=nft, and no learner
# test may skip.
VM_DISTRO ?= trixie
VM_TESTS  ?= test/021-fw-nft.bats test/025-resolver.bats
VM_FILTER ?=
.PHONY: check-vm
check-vm:
	@VM_TESTS="$(VM_TESTS)" VM_FILTER="$(VM_FILTER)" bash mk/vm.sh $(VM_DISTRO)
