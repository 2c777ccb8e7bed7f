include $(sort $(wildcard $(BR2_EXTERNAL_UNBRICK_PATH)/*/*.mk))
