# Install rules for everything that is not a target (config, unit, snippets,
# man pages, completion) and the CPack setup that makes the .deb from them.
# The binaries and the service catalog install from their own directories.
#
# A system service wants CMAKE_INSTALL_PREFIX=/usr: then the config is
# /etc/smbreak, state /var/lib/smbreak and the unit /lib/systemd/system, as in
# DESIGN.md. Other prefixes work (/usr/local is systemd's and man's search path
# too); the installed unit is written with that prefix's paths.

if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(SMB_UNITDIR_DEFAULT /lib/systemd/system)
else()
  set(SMB_UNITDIR_DEFAULT ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()
set(SMB_UNITDIR ${SMB_UNITDIR_DEFAULT} CACHE PATH "Where the systemd unit is installed")

# The unit in the tree carries /usr paths; the installed copy gets this build's.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${CMAKE_SOURCE_DIR}/systemd/smbreakd.service ${CMAKE_SOURCE_DIR}/systemd/smbreak.tmpfiles)
file(READ ${CMAKE_SOURCE_DIR}/systemd/smbreakd.service unit)
string(REPLACE "/usr/sbin/" "${CMAKE_INSTALL_FULL_SBINDIR}/" unit "${unit}")
string(REPLACE "/usr/bin/" "${CMAKE_INSTALL_FULL_BINDIR}/" unit "${unit}")
string(REPLACE "/etc/smbreak/" "${SMB_SYSCONFDIR}/" unit "${unit}")
file(WRITE ${CMAKE_BINARY_DIR}/systemd/smbreakd.service "${unit}")
file(READ ${CMAKE_SOURCE_DIR}/systemd/smbreak.tmpfiles tmpfiles)
string(REPLACE "/etc/smbreak/" "${SMB_SYSCONFDIR}/" tmpfiles "${tmpfiles}")
file(WRITE ${CMAKE_BINARY_DIR}/systemd/smbreak.tmpfiles "${tmpfiles}")

install(FILES ${CMAKE_BINARY_DIR}/systemd/smbreakd.service ${CMAKE_SOURCE_DIR}/systemd/smbreakd.socket
        DESTINATION ${SMB_UNITDIR})
# smbreak-notify's user unit, in the prefix's lib/systemd/user (for /usr the
# directory systemd reads user units from; postinst enables it globally).
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${CMAKE_SOURCE_DIR}/systemd/smbreak-notify.service)
file(READ ${CMAKE_SOURCE_DIR}/systemd/smbreak-notify.service user_unit)
string(REPLACE "/usr/bin/" "${CMAKE_INSTALL_FULL_BINDIR}/" user_unit "${user_unit}")
file(WRITE ${CMAKE_BINARY_DIR}/systemd/smbreak-notify.service "${user_unit}")
install(FILES ${CMAKE_BINARY_DIR}/systemd/smbreak-notify.service DESTINATION lib/systemd/user)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/smbreak.sysusers DESTINATION lib/sysusers.d
        RENAME smbreak.conf)
install(FILES ${CMAKE_BINARY_DIR}/systemd/smbreak.tmpfiles DESTINATION lib/tmpfiles.d
        RENAME smbreak.conf)
# Man pages and the changelog are installed gzipped, as Debian policy wants;
# made here at configure time (gzip -n: no name or time inside, so the same
# tree gives the same bytes), so that a build of the binaries alone, as the
# e2e test does, still packages them.
find_program(SMB_GZIP gzip REQUIRED)
set(SMB_DEB_VERSION ${PROJECT_VERSION} CACHE STRING "Version of the .deb (a test builds a second one)")
# Lintian wants a contact on a real domain; set yours when you publish packages.
set(SMB_DEB_MAINTAINER "smbreak maintainers <maintainers@smbreak.invalid>" CACHE STRING
    "Maintainer of the .deb and its changelog")

file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/doc)
configure_file(${CMAKE_SOURCE_DIR}/packaging/changelog ${CMAKE_BINARY_DIR}/doc/changelog @ONLY)
foreach(f man/smbreakd.8 man/smctl.1 man/smbreak-notify.1 man/smbreak.conf.5 build:doc/changelog)
  if(f MATCHES "^build:(.*)")
    set(src ${CMAKE_BINARY_DIR}/${CMAKE_MATCH_1})
  else()
    set(src ${CMAKE_SOURCE_DIR}/${f})
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${src})
  endif()
  get_filename_component(name ${src} NAME)
  execute_process(COMMAND ${SMB_GZIP} -9nc ${src} OUTPUT_FILE ${CMAKE_BINARY_DIR}/doc/${name}.gz
                  RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "gzip ${src} failed")
  endif()
endforeach()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/packaging/changelog)
install(FILES ${CMAKE_BINARY_DIR}/doc/smbreakd.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${CMAKE_BINARY_DIR}/doc/smctl.1.gz ${CMAKE_BINARY_DIR}/doc/smbreak-notify.1.gz
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_BINARY_DIR}/doc/smbreak.conf.5.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/copyright ${CMAKE_BINARY_DIR}/doc/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CMAKE_SOURCE_DIR}/completion/smctl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(DIRECTORY DESTINATION ${SMB_SYSCONFDIR}/lists.d)

# The default config, never over an edited one: an existing file that differs
# stays, and the shipped default goes beside it as smbreak.conf.new (in a
# package, dpkg's conffile handling does this job instead).
set(SMB_DEFAULT_CONF ${CMAKE_SOURCE_DIR}/conf/smbreak.conf CACHE FILEPATH
    "The default config installed (a test packages a changed one)")
install(CODE "
  set(src \"${SMB_DEFAULT_CONF}\")
  set(dir \"${SMB_SYSCONFDIR}\")
  set(dst \"\$ENV{DESTDIR}\${dir}/smbreak.conf\") # file(INSTALL) adds DESTDIR itself
  if(EXISTS \"\${dst}\")
    file(SHA256 \"\${src}\" new)
    file(SHA256 \"\${dst}\" old)
    if(NOT new STREQUAL old)
      message(STATUS \"Keeping the edited \${dst}; the shipped default is \${dst}.new\")
      file(INSTALL \"\${src}\" DESTINATION \"\${dir}\" RENAME smbreak.conf.new)
    endif()
  else()
    file(INSTALL \"\${src}\" DESTINATION \"\${dir}\" RENAME smbreak.conf)
  endif()
")

# ---- the .deb ----
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME smbreak)
set(CPACK_PACKAGE_VERSION ${SMB_DEB_VERSION})
set(CPACK_PACKAGE_VENDOR "smbreak")
set(CPACK_PACKAGE_CONTACT "${SMB_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "blocks social media sites during scheduled breaks")
set(CPACK_PACKAGE_DESCRIPTION
    "smbreakd reads weekly break schedules from /etc/smbreak/smbreak.conf and,\n"
    "while a break is on, blocks the configured social sites by name (a filtering\n"
    "DNS forwarder) and by address (nftables). smctl starts, ends and shows breaks.")
string(JOIN "" CPACK_PACKAGE_DESCRIPTION ${CPACK_PACKAGE_DESCRIPTION})
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# dpkg-shlibdeps finds libevent-2.1-7, libnl-3-200, libnl-route-3-200, libinih1 and libc6, with versions.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# systemd-sysusers runs in the maintainer scripts (deb-systemd-helper too,
# from init-system-helpers, which is essential and so not named).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nftables, dnsutils")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/packaging/conffiles ${CMAKE_SOURCE_DIR}/packaging/postinst
    ${CMAKE_SOURCE_DIR}/packaging/prerm ${CMAKE_SOURCE_DIR}/packaging/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# The maintainer scripts and conffiles name /etc/smbreak and /lib/systemd:
# a package from another prefix would be wrong, so cpack refuses to make one.
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_BINARY_DIR}/CPackProjectConfig.cmake)
file(WRITE ${CPACK_PROJECT_CONFIG_FILE} "
if(CPACK_GENERATOR STREQUAL \"DEB\" AND NOT \"${CMAKE_INSTALL_PREFIX}\" STREQUAL \"/usr\")
  message(FATAL_ERROR \"the .deb needs a build configured with -DCMAKE_INSTALL_PREFIX=/usr (this one has ${CMAKE_INSTALL_PREFIX})\")
endif()
")
include(CPack)
