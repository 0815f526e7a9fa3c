# Read by cpack (CPACK_PROJECT_CONFIG_FILE) before it makes the packages. Each package's
# description starts with its own summary line; without this, CPack's DEB generator puts
# the project's summary in front of it.
unset(CPACK_PACKAGE_DESCRIPTION_SUMMARY)
