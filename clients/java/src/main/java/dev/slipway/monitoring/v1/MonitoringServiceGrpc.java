package dev.slipway.monitoring.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * Watches served models: ingests prediction logs and ground truth, computes drift, data quality
 * and performance per model version over windows, raises alerts, and triggers retraining.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class MonitoringServiceGrpc {

  private MonitoringServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "slipway.monitoring.v1.MonitoringService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.IngestPredictionsRequest,
      dev.slipway.monitoring.v1.IngestPredictionsResponse> getIngestPredictionsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "IngestPredictions",
      requestType = dev.slipway.monitoring.v1.IngestPredictionsRequest.class,
      responseType = dev.slipway.monitoring.v1.IngestPredictionsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING)
  public static io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.IngestPredictionsRequest,
      dev.slipway.monitoring.v1.IngestPredictionsResponse> getIngestPredictionsMethod() {
    io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.IngestPredictionsRequest, dev.slipway.monitoring.v1.IngestPredictionsResponse> getIngestPredictionsMethod;
    if ((getIngestPredictionsMethod = MonitoringServiceGrpc.getIngestPredictionsMethod) == null) {
      synchronized (MonitoringServiceGrpc.class) {
        if ((getIngestPredictionsMethod = MonitoringServiceGrpc.getIngestPredictionsMethod) == null) {
          MonitoringServiceGrpc.getIngestPredictionsMethod = getIngestPredictionsMethod =
              io.grpc.MethodDescriptor.<dev.slipway.monitoring.v1.IngestPredictionsRequest, dev.slipway.monitoring.v1.IngestPredictionsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "IngestPredictions"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.IngestPredictionsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.IngestPredictionsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MonitoringServiceMethodDescriptorSupplier("IngestPredictions"))
              .build();
        }
      }
    }
    return getIngestPredictionsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.IngestGroundTruthRequest,
      dev.slipway.monitoring.v1.IngestGroundTruthResponse> getIngestGroundTruthMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "IngestGroundTruth",
      requestType = dev.slipway.monitoring.v1.IngestGroundTruthRequest.class,
      responseType = dev.slipway.monitoring.v1.IngestGroundTruthResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.IngestGroundTruthRequest,
      dev.slipway.monitoring.v1.IngestGroundTruthResponse> getIngestGroundTruthMethod() {
    io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.IngestGroundTruthRequest, dev.slipway.monitoring.v1.IngestGroundTruthResponse> getIngestGroundTruthMethod;
    if ((getIngestGroundTruthMethod = MonitoringServiceGrpc.getIngestGroundTruthMethod) == null) {
      synchronized (MonitoringServiceGrpc.class) {
        if ((getIngestGroundTruthMethod = MonitoringServiceGrpc.getIngestGroundTruthMethod) == null) {
          MonitoringServiceGrpc.getIngestGroundTruthMethod = getIngestGroundTruthMethod =
              io.grpc.MethodDescriptor.<dev.slipway.monitoring.v1.IngestGroundTruthRequest, dev.slipway.monitoring.v1.IngestGroundTruthResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "IngestGroundTruth"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.IngestGroundTruthRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.IngestGroundTruthResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MonitoringServiceMethodDescriptorSupplier("IngestGroundTruth"))
              .build();
        }
      }
    }
    return getIngestGroundTruthMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.GetMonitoringReportRequest,
      dev.slipway.monitoring.v1.GetMonitoringReportResponse> getGetMonitoringReportMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetMonitoringReport",
      requestType = dev.slipway.monitoring.v1.GetMonitoringReportRequest.class,
      responseType = dev.slipway.monitoring.v1.GetMonitoringReportResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.GetMonitoringReportRequest,
      dev.slipway.monitoring.v1.GetMonitoringReportResponse> getGetMonitoringReportMethod() {
    io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.GetMonitoringReportRequest, dev.slipway.monitoring.v1.GetMonitoringReportResponse> getGetMonitoringReportMethod;
    if ((getGetMonitoringReportMethod = MonitoringServiceGrpc.getGetMonitoringReportMethod) == null) {
      synchronized (MonitoringServiceGrpc.class) {
        if ((getGetMonitoringReportMethod = MonitoringServiceGrpc.getGetMonitoringReportMethod) == null) {
          MonitoringServiceGrpc.getGetMonitoringReportMethod = getGetMonitoringReportMethod =
              io.grpc.MethodDescriptor.<dev.slipway.monitoring.v1.GetMonitoringReportRequest, dev.slipway.monitoring.v1.GetMonitoringReportResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetMonitoringReport"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.GetMonitoringReportRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.GetMonitoringReportResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MonitoringServiceMethodDescriptorSupplier("GetMonitoringReport"))
              .build();
        }
      }
    }
    return getGetMonitoringReportMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.ComputeMonitoringReportRequest,
      dev.slipway.monitoring.v1.ComputeMonitoringReportResponse> getComputeMonitoringReportMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ComputeMonitoringReport",
      requestType = dev.slipway.monitoring.v1.ComputeMonitoringReportRequest.class,
      responseType = dev.slipway.monitoring.v1.ComputeMonitoringReportResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.ComputeMonitoringReportRequest,
      dev.slipway.monitoring.v1.ComputeMonitoringReportResponse> getComputeMonitoringReportMethod() {
    io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.ComputeMonitoringReportRequest, dev.slipway.monitoring.v1.ComputeMonitoringReportResponse> getComputeMonitoringReportMethod;
    if ((getComputeMonitoringReportMethod = MonitoringServiceGrpc.getComputeMonitoringReportMethod) == null) {
      synchronized (MonitoringServiceGrpc.class) {
        if ((getComputeMonitoringReportMethod = MonitoringServiceGrpc.getComputeMonitoringReportMethod) == null) {
          MonitoringServiceGrpc.getComputeMonitoringReportMethod = getComputeMonitoringReportMethod =
              io.grpc.MethodDescriptor.<dev.slipway.monitoring.v1.ComputeMonitoringReportRequest, dev.slipway.monitoring.v1.ComputeMonitoringReportResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ComputeMonitoringReport"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.ComputeMonitoringReportRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.ComputeMonitoringReportResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MonitoringServiceMethodDescriptorSupplier("ComputeMonitoringReport"))
              .build();
        }
      }
    }
    return getComputeMonitoringReportMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.CreateMonitoringPolicyRequest,
      dev.slipway.monitoring.v1.CreateMonitoringPolicyResponse> getCreateMonitoringPolicyMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreateMonitoringPolicy",
      requestType = dev.slipway.monitoring.v1.CreateMonitoringPolicyRequest.class,
      responseType = dev.slipway.monitoring.v1.CreateMonitoringPolicyResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.CreateMonitoringPolicyRequest,
      dev.slipway.monitoring.v1.CreateMonitoringPolicyResponse> getCreateMonitoringPolicyMethod() {
    io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.CreateMonitoringPolicyRequest, dev.slipway.monitoring.v1.CreateMonitoringPolicyResponse> getCreateMonitoringPolicyMethod;
    if ((getCreateMonitoringPolicyMethod = MonitoringServiceGrpc.getCreateMonitoringPolicyMethod) == null) {
      synchronized (MonitoringServiceGrpc.class) {
        if ((getCreateMonitoringPolicyMethod = MonitoringServiceGrpc.getCreateMonitoringPolicyMethod) == null) {
          MonitoringServiceGrpc.getCreateMonitoringPolicyMethod = getCreateMonitoringPolicyMethod =
              io.grpc.MethodDescriptor.<dev.slipway.monitoring.v1.CreateMonitoringPolicyRequest, dev.slipway.monitoring.v1.CreateMonitoringPolicyResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreateMonitoringPolicy"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.CreateMonitoringPolicyRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.CreateMonitoringPolicyResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MonitoringServiceMethodDescriptorSupplier("CreateMonitoringPolicy"))
              .build();
        }
      }
    }
    return getCreateMonitoringPolicyMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.GetMonitoringPolicyRequest,
      dev.slipway.monitoring.v1.GetMonitoringPolicyResponse> getGetMonitoringPolicyMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetMonitoringPolicy",
      requestType = dev.slipway.monitoring.v1.GetMonitoringPolicyRequest.class,
      responseType = dev.slipway.monitoring.v1.GetMonitoringPolicyResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.GetMonitoringPolicyRequest,
      dev.slipway.monitoring.v1.GetMonitoringPolicyResponse> getGetMonitoringPolicyMethod() {
    io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.GetMonitoringPolicyRequest, dev.slipway.monitoring.v1.GetMonitoringPolicyResponse> getGetMonitoringPolicyMethod;
    if ((getGetMonitoringPolicyMethod = MonitoringServiceGrpc.getGetMonitoringPolicyMethod) == null) {
      synchronized (MonitoringServiceGrpc.class) {
        if ((getGetMonitoringPolicyMethod = MonitoringServiceGrpc.getGetMonitoringPolicyMethod) == null) {
          MonitoringServiceGrpc.getGetMonitoringPolicyMethod = getGetMonitoringPolicyMethod =
              io.grpc.MethodDescriptor.<dev.slipway.monitoring.v1.GetMonitoringPolicyRequest, dev.slipway.monitoring.v1.GetMonitoringPolicyResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetMonitoringPolicy"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.GetMonitoringPolicyRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.GetMonitoringPolicyResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MonitoringServiceMethodDescriptorSupplier("GetMonitoringPolicy"))
              .build();
        }
      }
    }
    return getGetMonitoringPolicyMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.ListMonitoringPoliciesRequest,
      dev.slipway.monitoring.v1.ListMonitoringPoliciesResponse> getListMonitoringPoliciesMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListMonitoringPolicies",
      requestType = dev.slipway.monitoring.v1.ListMonitoringPoliciesRequest.class,
      responseType = dev.slipway.monitoring.v1.ListMonitoringPoliciesResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.ListMonitoringPoliciesRequest,
      dev.slipway.monitoring.v1.ListMonitoringPoliciesResponse> getListMonitoringPoliciesMethod() {
    io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.ListMonitoringPoliciesRequest, dev.slipway.monitoring.v1.ListMonitoringPoliciesResponse> getListMonitoringPoliciesMethod;
    if ((getListMonitoringPoliciesMethod = MonitoringServiceGrpc.getListMonitoringPoliciesMethod) == null) {
      synchronized (MonitoringServiceGrpc.class) {
        if ((getListMonitoringPoliciesMethod = MonitoringServiceGrpc.getListMonitoringPoliciesMethod) == null) {
          MonitoringServiceGrpc.getListMonitoringPoliciesMethod = getListMonitoringPoliciesMethod =
              io.grpc.MethodDescriptor.<dev.slipway.monitoring.v1.ListMonitoringPoliciesRequest, dev.slipway.monitoring.v1.ListMonitoringPoliciesResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListMonitoringPolicies"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.ListMonitoringPoliciesRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.ListMonitoringPoliciesResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MonitoringServiceMethodDescriptorSupplier("ListMonitoringPolicies"))
              .build();
        }
      }
    }
    return getListMonitoringPoliciesMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.UpdateMonitoringPolicyRequest,
      dev.slipway.monitoring.v1.UpdateMonitoringPolicyResponse> getUpdateMonitoringPolicyMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "UpdateMonitoringPolicy",
      requestType = dev.slipway.monitoring.v1.UpdateMonitoringPolicyRequest.class,
      responseType = dev.slipway.monitoring.v1.UpdateMonitoringPolicyResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.UpdateMonitoringPolicyRequest,
      dev.slipway.monitoring.v1.UpdateMonitoringPolicyResponse> getUpdateMonitoringPolicyMethod() {
    io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.UpdateMonitoringPolicyRequest, dev.slipway.monitoring.v1.UpdateMonitoringPolicyResponse> getUpdateMonitoringPolicyMethod;
    if ((getUpdateMonitoringPolicyMethod = MonitoringServiceGrpc.getUpdateMonitoringPolicyMethod) == null) {
      synchronized (MonitoringServiceGrpc.class) {
        if ((getUpdateMonitoringPolicyMethod = MonitoringServiceGrpc.getUpdateMonitoringPolicyMethod) == null) {
          MonitoringServiceGrpc.getUpdateMonitoringPolicyMethod = getUpdateMonitoringPolicyMethod =
              io.grpc.MethodDescriptor.<dev.slipway.monitoring.v1.UpdateMonitoringPolicyRequest, dev.slipway.monitoring.v1.UpdateMonitoringPolicyResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "UpdateMonitoringPolicy"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.UpdateMonitoringPolicyRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.UpdateMonitoringPolicyResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MonitoringServiceMethodDescriptorSupplier("UpdateMonitoringPolicy"))
              .build();
        }
      }
    }
    return getUpdateMonitoringPolicyMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.DeleteMonitoringPolicyRequest,
      dev.slipway.monitoring.v1.DeleteMonitoringPolicyResponse> getDeleteMonitoringPolicyMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteMonitoringPolicy",
      requestType = dev.slipway.monitoring.v1.DeleteMonitoringPolicyRequest.class,
      responseType = dev.slipway.monitoring.v1.DeleteMonitoringPolicyResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.DeleteMonitoringPolicyRequest,
      dev.slipway.monitoring.v1.DeleteMonitoringPolicyResponse> getDeleteMonitoringPolicyMethod() {
    io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.DeleteMonitoringPolicyRequest, dev.slipway.monitoring.v1.DeleteMonitoringPolicyResponse> getDeleteMonitoringPolicyMethod;
    if ((getDeleteMonitoringPolicyMethod = MonitoringServiceGrpc.getDeleteMonitoringPolicyMethod) == null) {
      synchronized (MonitoringServiceGrpc.class) {
        if ((getDeleteMonitoringPolicyMethod = MonitoringServiceGrpc.getDeleteMonitoringPolicyMethod) == null) {
          MonitoringServiceGrpc.getDeleteMonitoringPolicyMethod = getDeleteMonitoringPolicyMethod =
              io.grpc.MethodDescriptor.<dev.slipway.monitoring.v1.DeleteMonitoringPolicyRequest, dev.slipway.monitoring.v1.DeleteMonitoringPolicyResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteMonitoringPolicy"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.DeleteMonitoringPolicyRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.DeleteMonitoringPolicyResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MonitoringServiceMethodDescriptorSupplier("DeleteMonitoringPolicy"))
              .build();
        }
      }
    }
    return getDeleteMonitoringPolicyMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.GetAlertRequest,
      dev.slipway.monitoring.v1.GetAlertResponse> getGetAlertMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetAlert",
      requestType = dev.slipway.monitoring.v1.GetAlertRequest.class,
      responseType = dev.slipway.monitoring.v1.GetAlertResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.GetAlertRequest,
      dev.slipway.monitoring.v1.GetAlertResponse> getGetAlertMethod() {
    io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.GetAlertRequest, dev.slipway.monitoring.v1.GetAlertResponse> getGetAlertMethod;
    if ((getGetAlertMethod = MonitoringServiceGrpc.getGetAlertMethod) == null) {
      synchronized (MonitoringServiceGrpc.class) {
        if ((getGetAlertMethod = MonitoringServiceGrpc.getGetAlertMethod) == null) {
          MonitoringServiceGrpc.getGetAlertMethod = getGetAlertMethod =
              io.grpc.MethodDescriptor.<dev.slipway.monitoring.v1.GetAlertRequest, dev.slipway.monitoring.v1.GetAlertResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetAlert"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.GetAlertRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.GetAlertResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MonitoringServiceMethodDescriptorSupplier("GetAlert"))
              .build();
        }
      }
    }
    return getGetAlertMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.ListAlertsRequest,
      dev.slipway.monitoring.v1.ListAlertsResponse> getListAlertsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListAlerts",
      requestType = dev.slipway.monitoring.v1.ListAlertsRequest.class,
      responseType = dev.slipway.monitoring.v1.ListAlertsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.ListAlertsRequest,
      dev.slipway.monitoring.v1.ListAlertsResponse> getListAlertsMethod() {
    io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.ListAlertsRequest, dev.slipway.monitoring.v1.ListAlertsResponse> getListAlertsMethod;
    if ((getListAlertsMethod = MonitoringServiceGrpc.getListAlertsMethod) == null) {
      synchronized (MonitoringServiceGrpc.class) {
        if ((getListAlertsMethod = MonitoringServiceGrpc.getListAlertsMethod) == null) {
          MonitoringServiceGrpc.getListAlertsMethod = getListAlertsMethod =
              io.grpc.MethodDescriptor.<dev.slipway.monitoring.v1.ListAlertsRequest, dev.slipway.monitoring.v1.ListAlertsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListAlerts"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.ListAlertsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.ListAlertsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MonitoringServiceMethodDescriptorSupplier("ListAlerts"))
              .build();
        }
      }
    }
    return getListAlertsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.WatchAlertsRequest,
      dev.slipway.monitoring.v1.WatchAlertsResponse> getWatchAlertsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "WatchAlerts",
      requestType = dev.slipway.monitoring.v1.WatchAlertsRequest.class,
      responseType = dev.slipway.monitoring.v1.WatchAlertsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.WatchAlertsRequest,
      dev.slipway.monitoring.v1.WatchAlertsResponse> getWatchAlertsMethod() {
    io.grpc.MethodDescriptor<dev.slipway.monitoring.v1.WatchAlertsRequest, dev.slipway.monitoring.v1.WatchAlertsResponse> getWatchAlertsMethod;
    if ((getWatchAlertsMethod = MonitoringServiceGrpc.getWatchAlertsMethod) == null) {
      synchronized (MonitoringServiceGrpc.class) {
        if ((getWatchAlertsMethod = MonitoringServiceGrpc.getWatchAlertsMethod) == null) {
          MonitoringServiceGrpc.getWatchAlertsMethod = getWatchAlertsMethod =
              io.grpc.MethodDescriptor.<dev.slipway.monitoring.v1.WatchAlertsRequest, dev.slipway.monitoring.v1.WatchAlertsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "WatchAlerts"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.WatchAlertsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.monitoring.v1.WatchAlertsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new MonitoringServiceMethodDescriptorSupplier("WatchAlerts"))
              .build();
        }
      }
    }
    return getWatchAlertsMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static MonitoringServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<MonitoringServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<MonitoringServiceStub>() {
        @java.lang.Override
        public MonitoringServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new MonitoringServiceStub(channel, callOptions);
        }
      };
    return MonitoringServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static MonitoringServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<MonitoringServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<MonitoringServiceBlockingV2Stub>() {
        @java.lang.Override
        public MonitoringServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new MonitoringServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return MonitoringServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static MonitoringServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<MonitoringServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<MonitoringServiceBlockingStub>() {
        @java.lang.Override
        public MonitoringServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new MonitoringServiceBlockingStub(channel, callOptions);
        }
      };
    return MonitoringServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static MonitoringServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<MonitoringServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<MonitoringServiceFutureStub>() {
        @java.lang.Override
        public MonitoringServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new MonitoringServiceFutureStub(channel, callOptions);
        }
      };
    return MonitoringServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * Watches served models: ingests prediction logs and ground truth, computes drift, data quality
   * and performance per model version over windows, raises alerts, and triggers retraining.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * Receives prediction logs from serving as a stream of batches. Records whose envelope is
     * broken (version name, request id, role, time, row count, no inputs) are counted as
     * rejected, never failing the stream. Tensors are not decoded at ingest (unless the record
     * is larger than its rows allow): a record whose tensors do not match its row count or
     * their datatypes is stored, then left out of reports and counted as a SHAPE_MISMATCH schema
     * issue.
     * </pre>
     */
    default io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.IngestPredictionsRequest> ingestPredictions(
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.IngestPredictionsResponse> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getIngestPredictionsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Receives true labels for earlier predictions, joined on the inference request id. Labels
     * whose prediction has not arrived yet are kept and joined later: at most
     * `max_pending_labels_per_call` (default 1000) of one call and `max_pending_labels_per_model`
     * (default 100000) per model may wait; over either the call stores nothing and fails with
     * RESOURCE_EXHAUSTED, reason TOO_MANY_PENDING_LABELS (retry later or in smaller calls).
     * </pre>
     */
    default void ingestGroundTruth(dev.slipway.monitoring.v1.IngestGroundTruthRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.IngestGroundTruthResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getIngestGroundTruthMethod(), responseObserver);
    }

    /**
     * <pre>
     * Returns one stored report by name (AIP-131): the report behind an alert or a retraining
     * decision, named in `Alert.report`. NOT_FOUND (REPORT_NOT_FOUND) when there is none.
     * </pre>
     */
    default void getMonitoringReport(dev.slipway.monitoring.v1.GetMonitoringReportRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.GetMonitoringReportResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetMonitoringReportMethod(), responseObserver);
    }

    /**
     * <pre>
     * Computes a report for one model version over a window now (AIP-136 custom method), from the
     * logged traffic and the version's reference. The report is not stored and has no name:
     * computing it changes nothing, so any reader may call it. Large windows cost time on the
     * monitoring service (bounded by the sample sizes); prefer a policy's stored reports.
     * </pre>
     */
    default void computeMonitoringReport(dev.slipway.monitoring.v1.ComputeMonitoringReportRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.ComputeMonitoringReportResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getComputeMonitoringReportMethod(), responseObserver);
    }

    /**
     * <pre>
     * Creates a monitoring policy for a model. The model must exist in the registry (else
     * NOT_FOUND, MODEL_NOT_FOUND); UNAVAILABLE when the registry cannot be reached.
     * </pre>
     */
    default void createMonitoringPolicy(dev.slipway.monitoring.v1.CreateMonitoringPolicyRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.CreateMonitoringPolicyResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCreateMonitoringPolicyMethod(), responseObserver);
    }

    /**
     * <pre>
     * Returns one monitoring policy.
     * </pre>
     */
    default void getMonitoringPolicy(dev.slipway.monitoring.v1.GetMonitoringPolicyRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.GetMonitoringPolicyResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetMonitoringPolicyMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists monitoring policies.
     * </pre>
     */
    default void listMonitoringPolicies(dev.slipway.monitoring.v1.ListMonitoringPoliciesRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.ListMonitoringPoliciesResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListMonitoringPoliciesMethod(), responseObserver);
    }

    /**
     * <pre>
     * Changes fields of a monitoring policy. A change of `drift` is checked against the registry
     * as on create.
     * </pre>
     */
    default void updateMonitoringPolicy(dev.slipway.monitoring.v1.UpdateMonitoringPolicyRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.UpdateMonitoringPolicyResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getUpdateMonitoringPolicyMethod(), responseObserver);
    }

    /**
     * <pre>
     * Deletes a monitoring policy. Its alerts and reports are kept.
     * </pre>
     */
    default void deleteMonitoringPolicy(dev.slipway.monitoring.v1.DeleteMonitoringPolicyRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.DeleteMonitoringPolicyResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteMonitoringPolicyMethod(), responseObserver);
    }

    /**
     * <pre>
     * Returns one alert.
     * </pre>
     */
    default void getAlert(dev.slipway.monitoring.v1.GetAlertRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.GetAlertResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetAlertMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists alerts, the newest first unless `order_by` says otherwise.
     * </pre>
     */
    default void listAlerts(dev.slipway.monitoring.v1.ListAlertsRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.ListAlertsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListAlertsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Streams alert changes (fired, updated, resolved) as they happen, optionally after the alerts
     * firing now.
     * </pre>
     */
    default void watchAlerts(dev.slipway.monitoring.v1.WatchAlertsRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.WatchAlertsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getWatchAlertsMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service MonitoringService.
   * <pre>
   * Watches served models: ingests prediction logs and ground truth, computes drift, data quality
   * and performance per model version over windows, raises alerts, and triggers retraining.
   * </pre>
   */
  public static abstract class MonitoringServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return MonitoringServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service MonitoringService.
   * <pre>
   * Watches served models: ingests prediction logs and ground truth, computes drift, data quality
   * and performance per model version over windows, raises alerts, and triggers retraining.
   * </pre>
   */
  public static final class MonitoringServiceStub
      extends io.grpc.stub.AbstractAsyncStub<MonitoringServiceStub> {
    private MonitoringServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected MonitoringServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new MonitoringServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Receives prediction logs from serving as a stream of batches. Records whose envelope is
     * broken (version name, request id, role, time, row count, no inputs) are counted as
     * rejected, never failing the stream. Tensors are not decoded at ingest (unless the record
     * is larger than its rows allow): a record whose tensors do not match its row count or
     * their datatypes is stored, then left out of reports and counted as a SHAPE_MISMATCH schema
     * issue.
     * </pre>
     */
    public io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.IngestPredictionsRequest> ingestPredictions(
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.IngestPredictionsResponse> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncClientStreamingCall(
          getChannel().newCall(getIngestPredictionsMethod(), getCallOptions()), responseObserver);
    }

    /**
     * <pre>
     * Receives true labels for earlier predictions, joined on the inference request id. Labels
     * whose prediction has not arrived yet are kept and joined later: at most
     * `max_pending_labels_per_call` (default 1000) of one call and `max_pending_labels_per_model`
     * (default 100000) per model may wait; over either the call stores nothing and fails with
     * RESOURCE_EXHAUSTED, reason TOO_MANY_PENDING_LABELS (retry later or in smaller calls).
     * </pre>
     */
    public void ingestGroundTruth(dev.slipway.monitoring.v1.IngestGroundTruthRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.IngestGroundTruthResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getIngestGroundTruthMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Returns one stored report by name (AIP-131): the report behind an alert or a retraining
     * decision, named in `Alert.report`. NOT_FOUND (REPORT_NOT_FOUND) when there is none.
     * </pre>
     */
    public void getMonitoringReport(dev.slipway.monitoring.v1.GetMonitoringReportRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.GetMonitoringReportResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetMonitoringReportMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Computes a report for one model version over a window now (AIP-136 custom method), from the
     * logged traffic and the version's reference. The report is not stored and has no name:
     * computing it changes nothing, so any reader may call it. Large windows cost time on the
     * monitoring service (bounded by the sample sizes); prefer a policy's stored reports.
     * </pre>
     */
    public void computeMonitoringReport(dev.slipway.monitoring.v1.ComputeMonitoringReportRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.ComputeMonitoringReportResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getComputeMonitoringReportMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Creates a monitoring policy for a model. The model must exist in the registry (else
     * NOT_FOUND, MODEL_NOT_FOUND); UNAVAILABLE when the registry cannot be reached.
     * </pre>
     */
    public void createMonitoringPolicy(dev.slipway.monitoring.v1.CreateMonitoringPolicyRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.CreateMonitoringPolicyResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCreateMonitoringPolicyMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Returns one monitoring policy.
     * </pre>
     */
    public void getMonitoringPolicy(dev.slipway.monitoring.v1.GetMonitoringPolicyRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.GetMonitoringPolicyResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetMonitoringPolicyMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists monitoring policies.
     * </pre>
     */
    public void listMonitoringPolicies(dev.slipway.monitoring.v1.ListMonitoringPoliciesRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.ListMonitoringPoliciesResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListMonitoringPoliciesMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Changes fields of a monitoring policy. A change of `drift` is checked against the registry
     * as on create.
     * </pre>
     */
    public void updateMonitoringPolicy(dev.slipway.monitoring.v1.UpdateMonitoringPolicyRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.UpdateMonitoringPolicyResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getUpdateMonitoringPolicyMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Deletes a monitoring policy. Its alerts and reports are kept.
     * </pre>
     */
    public void deleteMonitoringPolicy(dev.slipway.monitoring.v1.DeleteMonitoringPolicyRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.DeleteMonitoringPolicyResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteMonitoringPolicyMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Returns one alert.
     * </pre>
     */
    public void getAlert(dev.slipway.monitoring.v1.GetAlertRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.GetAlertResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetAlertMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists alerts, the newest first unless `order_by` says otherwise.
     * </pre>
     */
    public void listAlerts(dev.slipway.monitoring.v1.ListAlertsRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.ListAlertsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListAlertsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Streams alert changes (fired, updated, resolved) as they happen, optionally after the alerts
     * firing now.
     * </pre>
     */
    public void watchAlerts(dev.slipway.monitoring.v1.WatchAlertsRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.WatchAlertsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getWatchAlertsMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service MonitoringService.
   * <pre>
   * Watches served models: ingests prediction logs and ground truth, computes drift, data quality
   * and performance per model version over windows, raises alerts, and triggers retraining.
   * </pre>
   */
  public static final class MonitoringServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<MonitoringServiceBlockingV2Stub> {
    private MonitoringServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected MonitoringServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new MonitoringServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Receives prediction logs from serving as a stream of batches. Records whose envelope is
     * broken (version name, request id, role, time, row count, no inputs) are counted as
     * rejected, never failing the stream. Tensors are not decoded at ingest (unless the record
     * is larger than its rows allow): a record whose tensors do not match its row count or
     * their datatypes is stored, then left out of reports and counted as a SHAPE_MISMATCH schema
     * issue.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<dev.slipway.monitoring.v1.IngestPredictionsRequest, dev.slipway.monitoring.v1.IngestPredictionsResponse>
        ingestPredictions() {
      return io.grpc.stub.ClientCalls.blockingClientStreamingCall(
          getChannel(), getIngestPredictionsMethod(), getCallOptions());
    }

    /**
     * <pre>
     * Receives true labels for earlier predictions, joined on the inference request id. Labels
     * whose prediction has not arrived yet are kept and joined later: at most
     * `max_pending_labels_per_call` (default 1000) of one call and `max_pending_labels_per_model`
     * (default 100000) per model may wait; over either the call stores nothing and fails with
     * RESOURCE_EXHAUSTED, reason TOO_MANY_PENDING_LABELS (retry later or in smaller calls).
     * </pre>
     */
    public dev.slipway.monitoring.v1.IngestGroundTruthResponse ingestGroundTruth(dev.slipway.monitoring.v1.IngestGroundTruthRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getIngestGroundTruthMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns one stored report by name (AIP-131): the report behind an alert or a retraining
     * decision, named in `Alert.report`. NOT_FOUND (REPORT_NOT_FOUND) when there is none.
     * </pre>
     */
    public dev.slipway.monitoring.v1.GetMonitoringReportResponse getMonitoringReport(dev.slipway.monitoring.v1.GetMonitoringReportRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetMonitoringReportMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Computes a report for one model version over a window now (AIP-136 custom method), from the
     * logged traffic and the version's reference. The report is not stored and has no name:
     * computing it changes nothing, so any reader may call it. Large windows cost time on the
     * monitoring service (bounded by the sample sizes); prefer a policy's stored reports.
     * </pre>
     */
    public dev.slipway.monitoring.v1.ComputeMonitoringReportResponse computeMonitoringReport(dev.slipway.monitoring.v1.ComputeMonitoringReportRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getComputeMonitoringReportMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Creates a monitoring policy for a model. The model must exist in the registry (else
     * NOT_FOUND, MODEL_NOT_FOUND); UNAVAILABLE when the registry cannot be reached.
     * </pre>
     */
    public dev.slipway.monitoring.v1.CreateMonitoringPolicyResponse createMonitoringPolicy(dev.slipway.monitoring.v1.CreateMonitoringPolicyRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCreateMonitoringPolicyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns one monitoring policy.
     * </pre>
     */
    public dev.slipway.monitoring.v1.GetMonitoringPolicyResponse getMonitoringPolicy(dev.slipway.monitoring.v1.GetMonitoringPolicyRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetMonitoringPolicyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists monitoring policies.
     * </pre>
     */
    public dev.slipway.monitoring.v1.ListMonitoringPoliciesResponse listMonitoringPolicies(dev.slipway.monitoring.v1.ListMonitoringPoliciesRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListMonitoringPoliciesMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Changes fields of a monitoring policy. A change of `drift` is checked against the registry
     * as on create.
     * </pre>
     */
    public dev.slipway.monitoring.v1.UpdateMonitoringPolicyResponse updateMonitoringPolicy(dev.slipway.monitoring.v1.UpdateMonitoringPolicyRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getUpdateMonitoringPolicyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Deletes a monitoring policy. Its alerts and reports are kept.
     * </pre>
     */
    public dev.slipway.monitoring.v1.DeleteMonitoringPolicyResponse deleteMonitoringPolicy(dev.slipway.monitoring.v1.DeleteMonitoringPolicyRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDeleteMonitoringPolicyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns one alert.
     * </pre>
     */
    public dev.slipway.monitoring.v1.GetAlertResponse getAlert(dev.slipway.monitoring.v1.GetAlertRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetAlertMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists alerts, the newest first unless `order_by` says otherwise.
     * </pre>
     */
    public dev.slipway.monitoring.v1.ListAlertsResponse listAlerts(dev.slipway.monitoring.v1.ListAlertsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListAlertsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams alert changes (fired, updated, resolved) as they happen, optionally after the alerts
     * firing now.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, dev.slipway.monitoring.v1.WatchAlertsResponse>
        watchAlerts(dev.slipway.monitoring.v1.WatchAlertsRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getWatchAlertsMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service MonitoringService.
   * <pre>
   * Watches served models: ingests prediction logs and ground truth, computes drift, data quality
   * and performance per model version over windows, raises alerts, and triggers retraining.
   * </pre>
   */
  public static final class MonitoringServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<MonitoringServiceBlockingStub> {
    private MonitoringServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected MonitoringServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new MonitoringServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Receives true labels for earlier predictions, joined on the inference request id. Labels
     * whose prediction has not arrived yet are kept and joined later: at most
     * `max_pending_labels_per_call` (default 1000) of one call and `max_pending_labels_per_model`
     * (default 100000) per model may wait; over either the call stores nothing and fails with
     * RESOURCE_EXHAUSTED, reason TOO_MANY_PENDING_LABELS (retry later or in smaller calls).
     * </pre>
     */
    public dev.slipway.monitoring.v1.IngestGroundTruthResponse ingestGroundTruth(dev.slipway.monitoring.v1.IngestGroundTruthRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getIngestGroundTruthMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns one stored report by name (AIP-131): the report behind an alert or a retraining
     * decision, named in `Alert.report`. NOT_FOUND (REPORT_NOT_FOUND) when there is none.
     * </pre>
     */
    public dev.slipway.monitoring.v1.GetMonitoringReportResponse getMonitoringReport(dev.slipway.monitoring.v1.GetMonitoringReportRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetMonitoringReportMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Computes a report for one model version over a window now (AIP-136 custom method), from the
     * logged traffic and the version's reference. The report is not stored and has no name:
     * computing it changes nothing, so any reader may call it. Large windows cost time on the
     * monitoring service (bounded by the sample sizes); prefer a policy's stored reports.
     * </pre>
     */
    public dev.slipway.monitoring.v1.ComputeMonitoringReportResponse computeMonitoringReport(dev.slipway.monitoring.v1.ComputeMonitoringReportRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getComputeMonitoringReportMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Creates a monitoring policy for a model. The model must exist in the registry (else
     * NOT_FOUND, MODEL_NOT_FOUND); UNAVAILABLE when the registry cannot be reached.
     * </pre>
     */
    public dev.slipway.monitoring.v1.CreateMonitoringPolicyResponse createMonitoringPolicy(dev.slipway.monitoring.v1.CreateMonitoringPolicyRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCreateMonitoringPolicyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns one monitoring policy.
     * </pre>
     */
    public dev.slipway.monitoring.v1.GetMonitoringPolicyResponse getMonitoringPolicy(dev.slipway.monitoring.v1.GetMonitoringPolicyRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetMonitoringPolicyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists monitoring policies.
     * </pre>
     */
    public dev.slipway.monitoring.v1.ListMonitoringPoliciesResponse listMonitoringPolicies(dev.slipway.monitoring.v1.ListMonitoringPoliciesRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListMonitoringPoliciesMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Changes fields of a monitoring policy. A change of `drift` is checked against the registry
     * as on create.
     * </pre>
     */
    public dev.slipway.monitoring.v1.UpdateMonitoringPolicyResponse updateMonitoringPolicy(dev.slipway.monitoring.v1.UpdateMonitoringPolicyRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getUpdateMonitoringPolicyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Deletes a monitoring policy. Its alerts and reports are kept.
     * </pre>
     */
    public dev.slipway.monitoring.v1.DeleteMonitoringPolicyResponse deleteMonitoringPolicy(dev.slipway.monitoring.v1.DeleteMonitoringPolicyRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteMonitoringPolicyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns one alert.
     * </pre>
     */
    public dev.slipway.monitoring.v1.GetAlertResponse getAlert(dev.slipway.monitoring.v1.GetAlertRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetAlertMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists alerts, the newest first unless `order_by` says otherwise.
     * </pre>
     */
    public dev.slipway.monitoring.v1.ListAlertsResponse listAlerts(dev.slipway.monitoring.v1.ListAlertsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListAlertsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams alert changes (fired, updated, resolved) as they happen, optionally after the alerts
     * firing now.
     * </pre>
     */
    public java.util.Iterator<dev.slipway.monitoring.v1.WatchAlertsResponse> watchAlerts(
        dev.slipway.monitoring.v1.WatchAlertsRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getWatchAlertsMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service MonitoringService.
   * <pre>
   * Watches served models: ingests prediction logs and ground truth, computes drift, data quality
   * and performance per model version over windows, raises alerts, and triggers retraining.
   * </pre>
   */
  public static final class MonitoringServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<MonitoringServiceFutureStub> {
    private MonitoringServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected MonitoringServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new MonitoringServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Receives true labels for earlier predictions, joined on the inference request id. Labels
     * whose prediction has not arrived yet are kept and joined later: at most
     * `max_pending_labels_per_call` (default 1000) of one call and `max_pending_labels_per_model`
     * (default 100000) per model may wait; over either the call stores nothing and fails with
     * RESOURCE_EXHAUSTED, reason TOO_MANY_PENDING_LABELS (retry later or in smaller calls).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.monitoring.v1.IngestGroundTruthResponse> ingestGroundTruth(
        dev.slipway.monitoring.v1.IngestGroundTruthRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getIngestGroundTruthMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Returns one stored report by name (AIP-131): the report behind an alert or a retraining
     * decision, named in `Alert.report`. NOT_FOUND (REPORT_NOT_FOUND) when there is none.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.monitoring.v1.GetMonitoringReportResponse> getMonitoringReport(
        dev.slipway.monitoring.v1.GetMonitoringReportRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetMonitoringReportMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Computes a report for one model version over a window now (AIP-136 custom method), from the
     * logged traffic and the version's reference. The report is not stored and has no name:
     * computing it changes nothing, so any reader may call it. Large windows cost time on the
     * monitoring service (bounded by the sample sizes); prefer a policy's stored reports.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.monitoring.v1.ComputeMonitoringReportResponse> computeMonitoringReport(
        dev.slipway.monitoring.v1.ComputeMonitoringReportRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getComputeMonitoringReportMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Creates a monitoring policy for a model. The model must exist in the registry (else
     * NOT_FOUND, MODEL_NOT_FOUND); UNAVAILABLE when the registry cannot be reached.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.monitoring.v1.CreateMonitoringPolicyResponse> createMonitoringPolicy(
        dev.slipway.monitoring.v1.CreateMonitoringPolicyRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCreateMonitoringPolicyMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Returns one monitoring policy.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.monitoring.v1.GetMonitoringPolicyResponse> getMonitoringPolicy(
        dev.slipway.monitoring.v1.GetMonitoringPolicyRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetMonitoringPolicyMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists monitoring policies.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.monitoring.v1.ListMonitoringPoliciesResponse> listMonitoringPolicies(
        dev.slipway.monitoring.v1.ListMonitoringPoliciesRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListMonitoringPoliciesMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Changes fields of a monitoring policy. A change of `drift` is checked against the registry
     * as on create.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.monitoring.v1.UpdateMonitoringPolicyResponse> updateMonitoringPolicy(
        dev.slipway.monitoring.v1.UpdateMonitoringPolicyRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getUpdateMonitoringPolicyMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Deletes a monitoring policy. Its alerts and reports are kept.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.monitoring.v1.DeleteMonitoringPolicyResponse> deleteMonitoringPolicy(
        dev.slipway.monitoring.v1.DeleteMonitoringPolicyRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteMonitoringPolicyMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Returns one alert.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.monitoring.v1.GetAlertResponse> getAlert(
        dev.slipway.monitoring.v1.GetAlertRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetAlertMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists alerts, the newest first unless `order_by` says otherwise.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.monitoring.v1.ListAlertsResponse> listAlerts(
        dev.slipway.monitoring.v1.ListAlertsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListAlertsMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_INGEST_GROUND_TRUTH = 0;
  private static final int METHODID_GET_MONITORING_REPORT = 1;
  private static final int METHODID_COMPUTE_MONITORING_REPORT = 2;
  private static final int METHODID_CREATE_MONITORING_POLICY = 3;
  private static final int METHODID_GET_MONITORING_POLICY = 4;
  private static final int METHODID_LIST_MONITORING_POLICIES = 5;
  private static final int METHODID_UPDATE_MONITORING_POLICY = 6;
  private static final int METHODID_DELETE_MONITORING_POLICY = 7;
  private static final int METHODID_GET_ALERT = 8;
  private static final int METHODID_LIST_ALERTS = 9;
  private static final int METHODID_WATCH_ALERTS = 10;
  private static final int METHODID_INGEST_PREDICTIONS = 11;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final AsyncService serviceImpl;
    private final int methodId;

    MethodHandlers(AsyncService serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_INGEST_GROUND_TRUTH:
          serviceImpl.ingestGroundTruth((dev.slipway.monitoring.v1.IngestGroundTruthRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.IngestGroundTruthResponse>) responseObserver);
          break;
        case METHODID_GET_MONITORING_REPORT:
          serviceImpl.getMonitoringReport((dev.slipway.monitoring.v1.GetMonitoringReportRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.GetMonitoringReportResponse>) responseObserver);
          break;
        case METHODID_COMPUTE_MONITORING_REPORT:
          serviceImpl.computeMonitoringReport((dev.slipway.monitoring.v1.ComputeMonitoringReportRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.ComputeMonitoringReportResponse>) responseObserver);
          break;
        case METHODID_CREATE_MONITORING_POLICY:
          serviceImpl.createMonitoringPolicy((dev.slipway.monitoring.v1.CreateMonitoringPolicyRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.CreateMonitoringPolicyResponse>) responseObserver);
          break;
        case METHODID_GET_MONITORING_POLICY:
          serviceImpl.getMonitoringPolicy((dev.slipway.monitoring.v1.GetMonitoringPolicyRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.GetMonitoringPolicyResponse>) responseObserver);
          break;
        case METHODID_LIST_MONITORING_POLICIES:
          serviceImpl.listMonitoringPolicies((dev.slipway.monitoring.v1.ListMonitoringPoliciesRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.ListMonitoringPoliciesResponse>) responseObserver);
          break;
        case METHODID_UPDATE_MONITORING_POLICY:
          serviceImpl.updateMonitoringPolicy((dev.slipway.monitoring.v1.UpdateMonitoringPolicyRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.UpdateMonitoringPolicyResponse>) responseObserver);
          break;
        case METHODID_DELETE_MONITORING_POLICY:
          serviceImpl.deleteMonitoringPolicy((dev.slipway.monitoring.v1.DeleteMonitoringPolicyRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.DeleteMonitoringPolicyResponse>) responseObserver);
          break;
        case METHODID_GET_ALERT:
          serviceImpl.getAlert((dev.slipway.monitoring.v1.GetAlertRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.GetAlertResponse>) responseObserver);
          break;
        case METHODID_LIST_ALERTS:
          serviceImpl.listAlerts((dev.slipway.monitoring.v1.ListAlertsRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.ListAlertsResponse>) responseObserver);
          break;
        case METHODID_WATCH_ALERTS:
          serviceImpl.watchAlerts((dev.slipway.monitoring.v1.WatchAlertsRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.WatchAlertsResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_INGEST_PREDICTIONS:
          return (io.grpc.stub.StreamObserver<Req>) serviceImpl.ingestPredictions(
              (io.grpc.stub.StreamObserver<dev.slipway.monitoring.v1.IngestPredictionsResponse>) responseObserver);
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getIngestPredictionsMethod(),
          io.grpc.stub.ServerCalls.asyncClientStreamingCall(
            new MethodHandlers<
              dev.slipway.monitoring.v1.IngestPredictionsRequest,
              dev.slipway.monitoring.v1.IngestPredictionsResponse>(
                service, METHODID_INGEST_PREDICTIONS)))
        .addMethod(
          getIngestGroundTruthMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.monitoring.v1.IngestGroundTruthRequest,
              dev.slipway.monitoring.v1.IngestGroundTruthResponse>(
                service, METHODID_INGEST_GROUND_TRUTH)))
        .addMethod(
          getGetMonitoringReportMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.monitoring.v1.GetMonitoringReportRequest,
              dev.slipway.monitoring.v1.GetMonitoringReportResponse>(
                service, METHODID_GET_MONITORING_REPORT)))
        .addMethod(
          getComputeMonitoringReportMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.monitoring.v1.ComputeMonitoringReportRequest,
              dev.slipway.monitoring.v1.ComputeMonitoringReportResponse>(
                service, METHODID_COMPUTE_MONITORING_REPORT)))
        .addMethod(
          getCreateMonitoringPolicyMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.monitoring.v1.CreateMonitoringPolicyRequest,
              dev.slipway.monitoring.v1.CreateMonitoringPolicyResponse>(
                service, METHODID_CREATE_MONITORING_POLICY)))
        .addMethod(
          getGetMonitoringPolicyMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.monitoring.v1.GetMonitoringPolicyRequest,
              dev.slipway.monitoring.v1.GetMonitoringPolicyResponse>(
                service, METHODID_GET_MONITORING_POLICY)))
        .addMethod(
          getListMonitoringPoliciesMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.monitoring.v1.ListMonitoringPoliciesRequest,
              dev.slipway.monitoring.v1.ListMonitoringPoliciesResponse>(
                service, METHODID_LIST_MONITORING_POLICIES)))
        .addMethod(
          getUpdateMonitoringPolicyMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.monitoring.v1.UpdateMonitoringPolicyRequest,
              dev.slipway.monitoring.v1.UpdateMonitoringPolicyResponse>(
                service, METHODID_UPDATE_MONITORING_POLICY)))
        .addMethod(
          getDeleteMonitoringPolicyMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.monitoring.v1.DeleteMonitoringPolicyRequest,
              dev.slipway.monitoring.v1.DeleteMonitoringPolicyResponse>(
                service, METHODID_DELETE_MONITORING_POLICY)))
        .addMethod(
          getGetAlertMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.monitoring.v1.GetAlertRequest,
              dev.slipway.monitoring.v1.GetAlertResponse>(
                service, METHODID_GET_ALERT)))
        .addMethod(
          getListAlertsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.monitoring.v1.ListAlertsRequest,
              dev.slipway.monitoring.v1.ListAlertsResponse>(
                service, METHODID_LIST_ALERTS)))
        .addMethod(
          getWatchAlertsMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              dev.slipway.monitoring.v1.WatchAlertsRequest,
              dev.slipway.monitoring.v1.WatchAlertsResponse>(
                service, METHODID_WATCH_ALERTS)))
        .build();
  }

  private static abstract class MonitoringServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    MonitoringServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.slipway.monitoring.v1.MonitoringServiceProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("MonitoringService");
    }
  }

  private static final class MonitoringServiceFileDescriptorSupplier
      extends MonitoringServiceBaseDescriptorSupplier {
    MonitoringServiceFileDescriptorSupplier() {}
  }

  private static final class MonitoringServiceMethodDescriptorSupplier
      extends MonitoringServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    MonitoringServiceMethodDescriptorSupplier(java.lang.String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (MonitoringServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new MonitoringServiceFileDescriptorSupplier())
              .addMethod(getIngestPredictionsMethod())
              .addMethod(getIngestGroundTruthMethod())
              .addMethod(getGetMonitoringReportMethod())
              .addMethod(getComputeMonitoringReportMethod())
              .addMethod(getCreateMonitoringPolicyMethod())
              .addMethod(getGetMonitoringPolicyMethod())
              .addMethod(getListMonitoringPoliciesMethod())
              .addMethod(getUpdateMonitoringPolicyMethod())
              .addMethod(getDeleteMonitoringPolicyMethod())
              .addMethod(getGetAlertMethod())
              .addMethod(getListAlertsMethod())
              .addMethod(getWatchAlertsMethod())
              .build();
        }
      }
    }
    return result;
  }
}
