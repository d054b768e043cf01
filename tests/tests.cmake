# The test registry: add a line where you add a test file.

# Unit tests
smb_unit(conf smb_conf)
smb_unit(sched smb_sched)
smb_unit(policy smb_policy)
smb_unit(proto smb_proto)
smb_unit(value smb_value)
smb_unit(smctl smb_ctl)
smb_unit(control smb_control)
smb_unit(state smb_state)
smb_unit(stats smb_stats)
smb_unit(domains smb_domains)
smb_unit(lists smb_domains)
smb_unit(dns_msg smb_dns_msg)
smb_unit(addrset smb_dns_policy)
smb_unit(dns_policy smb_dns_policy)
smb_unit(resolv smb_resolv)
smb_unit(listenfd smb_listenfd)

# Fuzz targets
smb_fuzz(conf smb_conf)
smb_fuzz(proto smb_proto)
smb_fuzz(lists smb_domains)
smb_fuzz(dns_msg smb_dns_msg)

# System tests
smb_system(core)
smb_system(control_abuse)
smb_system(lists)
smb_system(enforce)
smb_system(dns)
smb_system(dns_bypass)
smb_system(dns_cloak)
smb_system(dns_wire)
smb_system(dns_answers)
smb_system(dns_xfr)
smb_system(dns_loss)
smb_system(dns_upstream_selftest)
smb_system(socket_activation)
smb_system(reload_async)
smb_system(strict_clock)
smb_system(state_files)
smb_system(strict_restart)
smb_system(strict_reload)
smb_system(dated)
smb_system(plans)
smb_system(smctl_ux)
smb_system(intercept_ipv6)
smb_system(intercept_routed)
smb_system(addr_lists)

# nftables: the driver is a CLI over daemon/nft.h; the tests run it in network namespaces.
smb_unit(nft_msg smb_nft)
add_executable(nftdrv system/nftdrv.c)
target_link_libraries(nftdrv PRIVATE smb_nft)
foreach(t nft_table nft_traffic nft_errors)
  smb_system(${t})
  set_property(TEST system_${t} APPEND PROPERTY ENVIRONMENT "NFTDRV=$<TARGET_FILE:nftdrv>")
endforeach()

# The package end to end in a booted Debian 12 container (cached rootfs; the
# first run debootstraps it). Not in sanitizer builds: it packages its own /usr
# build, so a second run would test the same thing.
if(NOT SMB_SANITIZE)
  smb_system(e2e_systemd)
  set_tests_properties(system_e2e_systemd PROPERTIES TIMEOUT 1200)
  set_property(TEST system_e2e_systemd APPEND PROPERTY ENVIRONMENT "SMB_BUILD_DIR=${CMAKE_BINARY_DIR}")
endif()
