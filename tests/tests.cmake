# The test registry: add a line where you add a test file.

# Unit tests
smb_unit(conf smb_conf)
smb_unit(sched smb_sched)
smb_unit(proto smb_proto)
smb_unit(duration smb_duration)
smb_unit(control smb_control)
smb_unit(state smb_state)
smb_unit(stats smb_stats)
smb_unit(domains smb_domains)
smb_unit(lists smb_domains)
smb_unit(dns_msg smb_dns_msg)
smb_unit(resolv smb_resolv)

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
smb_system(dns_upstream_selftest)

# nftables: the driver is a CLI over daemon/nft.h; the tests run it in network namespaces.
smb_unit(nft_msg smb_nft)
add_executable(nftdrv system/nftdrv.c)
target_link_libraries(nftdrv PRIVATE smb_nft)
foreach(t nft_table nft_traffic nft_errors)
  smb_system(${t})
  set_property(TEST system_${t} APPEND PROPERTY ENVIRONMENT "NFTDRV=$<TARGET_FILE:nftdrv>")
endforeach()
