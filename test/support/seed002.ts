// Seed 002's six `aliyun oos StartExecution` calls, --Parameters exactly as the shell hands them over (a JSON
// string: the shell removed the backslashes before the quotes; `\n` inside a script is a JSON escape).

export const IMAGE_INVOKE = {
  TemplateName: 'ACS-ESS-RollingUpdateByReplaceSystemDiskInScalingGroup',
  Parameters: String.raw`{
              "invokeType": "invoke",
              "scalingGroupId": "asg-bp18p2yfxow2dloq****",
              "scalingConfigurationId": "asc-bp1bx8mzur534edp****",
              "imageId": "aliyun_2_1903_x64_20G_alibase_20200529.vhd",
              "sourceImageId": "centos_7_8_x64_20G_alibase_20200717.vhd",
              "OOSAssumeRole": "",
              "enterProcess": [
                "ScaleIn",
                "ScaleOut",
                "HealthCheck",
                "AlarmNotification",
                "ScheduledAction"
              ],
              "exitProcess":  [
                "ScaleIn",
                "ScaleOut",
                "HealthCheck",
                "AlarmNotification",
                "ScheduledAction"
              ],
              "batchNumber": 2,
              "batchPauseOption": "Automatic"
            }`,
};

export const SCRIPT_INVOKE = {
  TemplateName: 'ACS-ESS-RollingUpdateByRunCommandInScalingGroup',
  Parameters: String.raw`{
              "invokeType": "invoke",
              "scalingGroupId": "asg-bp18p2yfxow2dloq****",
              "commandType": "RunShellScript",
              "invokeScript": "df -h\nifconfig",
              "rollbackScript": "df -h\nifconfig",
              "OOSAssumeRole": "",
              "exitProcess": [
                "ScaleIn",
                "ScaleOut",
                "HealthCheck",
                "AlarmNotification",
                "ScheduledAction"
              ],
              "enterProcess": [
                "ScaleIn",
                "ScaleOut",
                "HealthCheck",
                "AlarmNotification",
                "ScheduledAction"
              ],
              "batchNumber": 2,
              "batchPauseOption": "Automatic"
            }`,
};

export const PACKAGE_INVOKE = {
  TemplateName: 'ACS-ESS-RollingUpdateByConfigureOOSPackage',
  Parameters: String.raw`{
              "invokeType": "invoke",
              "scalingGroupId": "asg-bp18p2yfxow2dloq****",
              "packageName": "wordpress",
              "packageVersion": "v4",
              "action": "install",
              "OOSAssumeRole": "",
              "enterProcess": [
                "ScaleIn",
                "ScaleOut",
                "HealthCheck",
                "AlarmNotification",
                "ScheduledAction"
              ],
              "exitProcess": [
                "ScaleIn",
                "ScaleOut",
                "HealthCheck",
                "AlarmNotification",
                "ScheduledAction"
              ],
              "batchNumber": 2,
              "batchPauseOption": "Automatic"
            }`,
};

export const IMAGE_ROLLBACK = {
  TemplateName: 'ACS-ESS-RollingUpdateByReplaceSystemDiskInScalingGroup',
  Parameters: String.raw`{
              "invokeType": "rollback",
              "scalingGroupId": "asg-bp18p2yfxow2dloq****",
              "scalingConfigurationId": "asc-bp1bx8mzur534edp****",
              "sourceImageId": "centos_7_8_x64_20G_alibase_20200717.vhd",
              "sourceExecutionId": "exec-83dba59be77d430****",
              "OOSAssumeRole": "",
              "batchNumber": 2,
              "batchPauseOption": "Automatic"
            }`,
};

export const SCRIPT_ROLLBACK = {
  TemplateName: 'ACS-ESS-RollingUpdateByRunCommandInScalingGroup',
  Parameters: String.raw`{
              "invokeType": "rollback",
              "commandType": "RunShellScript",
              "rollbackScript": "df -h\nifconfig",
              "scalingGroupId": "asg-bp18p2yfxow2dloq****",
              "sourceExecutionId": "exec-40e2e17ef7e046****",
              "OOSAssumeRole": "",
              "batchNumber": 2,
              "batchPauseOption": "Automatic"
            }`,
};

export const PACKAGE_ROLLBACK = {
  TemplateName: 'ACS-ESS-RollingUpdateByConfigureOOSPackage',
  Parameters: String.raw`{
              "invokeType": "rollback",
              "scalingGroupId": "asg-bp18p2yfxow2dloq****",
              "packageVersion": "v3",
              "packageName": "wordpress",
              "sourceExecutionId": "exec-f4e61f2f21fe490****",
              "OOSAssumeRole": "",
              "batchNumber": 2,
              "batchPauseOption": "Automatic"
            }`,
};
