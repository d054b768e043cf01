# The test registry: add a line where you add a test file.

# Unit tests
smb_unit(conf smb_conf)
smb_unit(sched smb_sched)
smb_unit(proto smb_proto)
smb_unit(state smb_state)

# Fuzz targets
smb_fuzz(conf smb_conf)
smb_fuzz(proto smb_proto)

# System tests
smb_system(core)
